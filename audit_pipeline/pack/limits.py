"""Limits on what a data pack may hold, and the checks that enforce them before any expensive work.

Every limit is far above what a real pack reaches (the 10-million-row
transactions file passes) and exists only so that a small hostile file cannot
make validation run without end or exhaust memory. ``docs/DATA_CONTRACT.md``
lists them; a breach is a located error, found before the file is parsed:

- only regular files inside the pack folder are read: never a FIFO, a device
  or a socket, never through a link that leads outside the folder;
- file sizes are checked before reading; a workbook's zip entries are checked
  for their uncompressed size and compression ratio before it is opened, and
  its first sheet's declared dimension before a row is read;
- ``programme.yaml`` is checked event by event before it is built: no anchors
  or aliases, bounded depth and length.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from audit_pipeline.errors import ERROR, Finding

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits in force (see ``docs/DATA_CONTRACT.md``, "Limits")."""

    table_file_bytes: int = 256 * MIB  # a CSV or XLSX table other than transactions
    transactions_file_bytes: int = 8192 * MIB  # transactions.csv / .xlsx / .parquet
    programme_bytes: int = 64 * 1024  # programme.yaml
    yaml_depth: int = 20  # nesting of mappings and lists in programme.yaml
    yaml_events: int = 10_000  # scalars, mappings and lists in programme.yaml
    rows: int = 1_048_575  # data rows of a table (the most an Excel sheet holds under its header)
    columns: int = 200  # header cells of any table
    cell_chars: int = 10_000  # characters in one cell (a 50 MB cell is not data)
    xlsx_uncompressed_bytes: int = 2048 * MIB  # all entries of a workbook, inflated
    xlsx_ratio: int = 200  # inflated / compressed size of one entry of more than 1 MiB
    xlsx_rows: int = 1_048_576  # Excel's own sheet limit
    xlsx_columns: int = 200  # the declared dimension's width


LIMITS = Limits()


class LimitError(Exception):
    """A file breaks a limit or cannot be read safely; ``finding`` says where and why."""

    def __init__(self, finding: Finding):
        super().__init__(str(finding))
        self.finding = finding


def _size(n_bytes: int) -> str:
    return f"{n_bytes / MIB:,.0f} MiB" if n_bytes >= MIB else f"{n_bytes:,} bytes"


def safe_entry(directory: Path, path: Path) -> str | None:
    """Why ``path`` (an entry of the pack folder) must not be read, or ``None`` when it may.

    Only regular files are read, and a link only when it leads to a regular file inside the folder."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "is a link that leads nowhere: not read"
        if not target.is_relative_to(directory.resolve()):
            return "is a link to something outside the data pack: not read (copy the file into the folder)"
        info = os.stat(target)
    if stat.S_ISDIR(info.st_mode):
        return "cannot be read: it is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, device or socket): not read"
    return None


def check_size(path: Path, limit: int) -> None:
    """``LimitError`` when the file at ``path`` is larger than ``limit`` bytes."""
    size = path.stat().st_size
    if size > limit:
        raise LimitError(
            Finding(ERROR, path.name, f"is {_size(size)}, more than the limit of {_size(limit)} for this file")
        )


# ---- workbooks ------------------------------------------------------------------------------------

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", re.S)
_REL = re.compile(rb"<Relationship\b[^>]*?/?>", re.S)
_ATTR = re.compile(rb"(\w+)=\"([^\"]*)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>((?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?f\b.*?)</(?:\w+:)?c>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>|<(?:\w+:)?is>")
_CELL_REF = re.compile(rb"\br=\"([A-Z]+\d+)\"")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def first_sheet_entry(book: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first worksheet (the one the pack reader reads)."""
    try:
        workbook = book.read("xl/workbook.xml")
        rels = book.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = _SHEET.search(workbook)
    if not first:
        return None
    for rel in _REL.finditer(rels):
        attrs = dict(_ATTR.findall(rel.group(0)))
        if attrs.get(b"Id") == first.group(1):
            target = attrs.get(b"Target", b"").decode()
            path = PurePosixPath(target.lstrip("/")) if target.startswith("/") else PurePosixPath("xl") / target
            return str(path)
    return None


def check_workbook(path: Path, limits: Limits = LIMITS) -> None:
    """Refuse a workbook that would inflate beyond the limits, declares a sheet too large, merges
    cells, or holds a formula with no saved value (it would read as an empty cell: a silent wrong
    figure). Reads the zip directory and the first sheet's XML only; ``LimitError`` names the cell."""
    name = path.name
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LimitError(Finding(ERROR, name, f"cannot be opened as an XLSX workbook ({exc})")) from None
    with book:
        infos = book.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.xlsx_uncompressed_bytes:
            raise LimitError(
                Finding(
                    ERROR,
                    name,
                    f"inflates to {_size(total)}, more than the limit of {_size(limits.xlsx_uncompressed_bytes)}",
                )
            )
        for info in infos:
            if info.file_size > MIB and info.file_size > limits.xlsx_ratio * max(info.compress_size, 1):
                raise LimitError(
                    Finding(
                        ERROR,
                        name,
                        f"entry {info.filename} inflates {info.file_size // max(info.compress_size, 1):,} times "
                        f"(limit {limits.xlsx_ratio}): not a workbook a spreadsheet program saved",
                    )
                )
        entry = first_sheet_entry(book)
        if entry is None:
            return  # openpyxl then says what is wrong with it
        try:
            xml = book.read(entry)
        except KeyError:
            return
    _check_dimension(name, xml, limits)
    merged = _MERGE.findall(xml)
    if merged:
        ranges = ", ".join(m.decode() for m in merged[:5]) + (" ..." if len(merged) > 5 else "")
        raise LimitError(
            Finding(ERROR, name, f"has merged cells ({ranges}): unmerge them so every cell holds its own value")
        )
    if b"<f" in xml or b":f" in xml:
        for match in _FORMULA_CELL.finditer(xml):
            if not _VALUE.search(match.group(2)):
                ref = _CELL_REF.search(match.group(1))
                cell = ref.group(1).decode() if ref else "a cell"
                line = int(re.sub(r"[A-Z]", "", cell)) if ref else None
                raise LimitError(
                    Finding(
                        ERROR,
                        name,
                        f"cell {cell} holds a formula with no saved value: open and save the workbook in "
                        "Excel, or paste values",
                        line=line,
                    )
                )


def _check_dimension(name: str, xml: bytes, limits: Limits) -> None:
    found = _DIMENSION.search(xml[:4096])
    if not found:
        return
    last_col, last_row = (found.group(3), found.group(4)) if found.group(3) else (found.group(1), found.group(2))
    columns, rows = _column_number(last_col), int(last_row)
    if columns > limits.xlsx_columns or rows > limits.xlsx_rows:
        span = found.group(0).split(b'"')[1].decode()
        raise LimitError(
            Finding(
                ERROR,
                name,
                f"its first sheet declares the range {span} ({rows:,} rows, {columns:,} columns), more than the "
                f"limit of {limits.xlsx_columns} columns: delete the empty rows and columns beyond the table",
            )
        )
