"""Read one table file (CSV or XLSX) into text cells with their line numbers.

Nothing here interprets a cell: every value comes back as text (or ``None``
for an empty cell) so that ``validate.py`` parses all files the same way.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from audit_pipeline.errors import ERROR, WARNING, Finding, printable
from audit_pipeline.pack.limits import LIMITS, LimitError, check_size, check_workbook

# Bytes that Windows-1252 leaves undefined: a file holding one is not text we can read.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# Control characters no return holds (C0 but tab, line feed and carriage return; DEL; C1): a cell with
# one is refused, so nothing can reach a terminal or a report as an escape sequence or a NUL. So are the
# three private-use characters the report uses to mark registered figures (report/register/core.py).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\ue002]")


@dataclass
class RawTable:
    """A table as read: header names as written, and rows of text with line numbers."""

    file: str
    header: list[str]
    rows: list[tuple[int, list[str | None]]]


class ReadError(Exception):
    """The file cannot be read at all; ``finding`` says where and why."""

    def __init__(self, finding: Finding):
        super().__init__(str(finding))
        self.finding = finding


def decode_text(data: bytes, name: str, findings: list[Finding]) -> str:
    """Decode UTF-8 (with or without BOM), else Windows-1252; else raise ``ReadError`` with the line."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data[:200].count(b"\x00") > 20:
        raise ReadError(Finding(ERROR, name, "is UTF-16 text: save it as CSV UTF-8 (or CSV) instead", line=1))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error_at = exc.start
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined:
        line = data.count(b"\n", 0, undefined.start()) + 1
        raise ReadError(
            Finding(
                ERROR,
                name,
                "cannot be decoded as UTF-8 or Windows-1252 text",
                line=line,
                value=f"byte 0x{data[undefined.start()]:02X}",
            )
        )
    text = data.decode("cp1252")
    line = data.count(b"\n", 0, utf8_error_at) + 1
    findings.append(
        Finding(WARNING, name, "not UTF-8; read as Windows-1252 (as Excel saves on UK machines)", line=line)
    )
    if "Â£" in text or "â€" in text:
        findings.append(Finding(WARNING, name, "mixes UTF-8 and Windows-1252: some characters may be garbled"))
    return text


def _blank_to_none(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    return value


def _printable(value: str, limit: int = 40) -> str:
    """A cell's start, with control characters shown as escapes (``errors.printable``), for a message."""
    return printable(value[:limit]) + ("..." if len(value) > limit else "")


def check_cells(name: str, header: list[str], line: int, cells: list[str | None], findings: list[Finding]) -> None:
    """Refuse a cell longer than the limit or holding a control character, naming line and column."""
    for column, cell in zip(header, cells, strict=False):
        if cell is None:
            continue
        if len(cell) > LIMITS.cell_chars:
            findings.append(
                Finding(
                    ERROR,
                    name,
                    f"cell has {len(cell):,} characters, more than the limit of {LIMITS.cell_chars:,}",
                    line=line,
                    column=_printable(column),
                    value=_printable(cell),
                )
            )
        elif control := _CONTROL.search(cell):
            code = ord(control.group())
            findings.append(
                Finding(
                    ERROR,
                    name,
                    f"cell holds a control or reserved character (U+{code:04X}), which no return should contain",
                    line=line,
                    column=_printable(column),
                    value=_printable(cell),
                )
            )


def _check_header(name: str, header: list[str]) -> None:
    if len(header) > LIMITS.columns:
        raise ReadError(
            Finding(ERROR, name, f"has {len(header):,} columns, more than the limit of {LIMITS.columns}", line=1)
        )
    for cell in header:
        if _CONTROL.search(cell) or len(cell) > 200:
            raise ReadError(
                Finding(
                    ERROR,
                    name,
                    "a header name holds a control character or is longer than 200 characters",
                    line=1,
                    value=_printable(cell),
                )
            )


def _too_many_rows(name: str, line: int) -> ReadError:
    return ReadError(
        Finding(ERROR, name, f"has more than {LIMITS.rows:,} data rows, the limit for this table", line=line)
    )


def read_csv(path: Path, findings: list[Finding]) -> RawTable:
    """Read a CSV file; line numbers are where each record starts (header = line 1)."""
    text = decode_text(path.read_bytes(), path.name, findings)
    csv.field_size_limit(LIMITS.table_file_bytes)  # cells are judged by LIMITS.cell_chars, with their column
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str | None]]] = []
    start = 1
    try:
        for record in reader:
            if header is None:
                header = record
                _check_header(path.name, header)
            elif any(cell.strip() for cell in record):
                if len(rows) >= LIMITS.rows:
                    raise _too_many_rows(path.name, start)
                if len(record) != len(header):
                    findings.append(
                        Finding(
                            ERROR,
                            path.name,
                            f"has {len(record)} cells where the header has {len(header)}",
                            line=start,
                        )
                    )
                    record = (record + [""] * len(header))[: len(header)]
                rows.append((start, [_blank_to_none(c) for c in record]))
                check_cells(path.name, header, start, rows[-1][1], findings)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReadError(Finding(ERROR, path.name, f"is not valid CSV: {exc}", line=start)) from None
    if header is None:
        raise ReadError(Finding(ERROR, path.name, "is empty: a header row is required", line=1))
    return RawTable(path.name, header, rows)


def _cell_text(value: object) -> str | None:
    """Text for an XLSX cell as a person would type it (dates as ISO, 9.0 as 9)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Positional, never an exponent (1e-05 is not money), and the shortest text that reads back exactly.
        return format(Decimal(repr(value)), "f")
    return _blank_to_none(str(value))


def read_xlsx(path: Path, findings: list[Finding]) -> RawTable:
    """Read the first worksheet of an XLSX file; header in row 1, lines are sheet row numbers."""
    from openpyxl import load_workbook  # imported here: only packs with XLSX pay for it

    try:
        check_workbook(path)
    except LimitError as exc:
        raise ReadError(exc.finding) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ReadError(
            Finding(ERROR, path.name, f"cannot be opened as an XLSX workbook ({type(exc).__name__})")
        ) from None
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str | None]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if header is None:
                if number != 1 or not any(cells):
                    raise ReadError(
                        Finding(ERROR, path.name, "the header must be in row 1 of the first worksheet", line=1)
                    )
                while cells and cells[-1] is None:
                    cells.pop()
                header = [c or "" for c in cells]
                _check_header(path.name, header)
                continue
            if any(c is not None for c in cells):
                if len(rows) >= LIMITS.rows:
                    raise _too_many_rows(path.name, number)
                rows.append((number, (cells + [None] * len(header))[: len(header)]))
                check_cells(path.name, header, number, rows[-1][1], findings)
    finally:
        book.close()
    if header is None:
        raise ReadError(Finding(ERROR, path.name, "is empty: a header row is required", line=1))
    return RawTable(path.name, header, rows)


def read_table_file(path: Path, findings: list[Finding]) -> RawTable:
    """Read a ``.csv`` or ``.xlsx`` table file; ``ReadError`` if it cannot be read at all."""
    try:
        check_size(path, LIMITS.table_file_bytes)
        if path.suffix.lower() == ".xlsx":
            return read_xlsx(path, findings)
        return read_csv(path, findings)
    except LimitError as exc:
        raise ReadError(exc.finding) from None
    except OSError as exc:  # a folder named like a table, no permission, ...
        raise ReadError(Finding(ERROR, path.name, f"cannot be read: {exc.strerror or exc}")) from None
    except MemoryError:
        raise ReadError(Finding(ERROR, path.name, "is too large to read in the memory this machine has")) from None
