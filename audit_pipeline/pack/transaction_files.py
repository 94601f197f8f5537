"""Reading the transaction file (CSV or Parquet; millions of rows) into Arrow, and finding its lines.

Every column but ``transaction_id`` holds few distinct values, so it is read
dictionary-encoded (``transactions.py`` parses each distinct cell once). A CSV file
is read as text, UTF-8 or else Windows-1252; a file pyarrow cannot read becomes one
finding at its first malformed row. Lines are counted as a person counts them in
the file, and only when a finding needs one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from audit_pipeline.errors import ERROR, WARNING, Finding

KEY = "transaction_id"
# Schema metadata naming the CSV file a table was read from, to count its lines when a finding needs one.
CSV_PATH_KEY = b"audit_pipeline.csv_path"

_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def read_transactions(path: Path, findings: list[Finding]) -> pa.Table | None:
    """Read the file into an Arrow table (text columns for CSV), or ``None`` with a finding."""
    try:
        if path.suffix.lower() == ".parquet":
            return _read_parquet(path, findings)
        return _read_csv(path, findings)
    except UnicodeDecodeError:
        line = _undecodable_line(path)
        findings.append(Finding(ERROR, path.name, "cannot be decoded as UTF-8 or Windows-1252 text", line=line))
    except (pa.ArrowInvalid, OSError) as exc:
        findings.append(_unreadable(path, exc))
    return None


def _unreadable(path: Path, exc: Exception) -> Finding:
    """The finding for a file pyarrow cannot read: at its first malformed row, if that is the reason."""
    message = str(exc).splitlines()[0]
    bad_row = _first_malformed_row(path) if "CSV parse error" in message else None
    if bad_row is None:
        return Finding(ERROR, path.name, f"cannot be read: {message}")
    records = record_lines(path)  # pyarrow numbers records (header = 1), not lines
    line = int(records[bad_row.number - 1]) if bad_row.number and bad_row.number <= len(records) else bad_row.number
    rule = f"has {bad_row.actual_columns} cells where the header has {bad_row.expected_columns}"
    return Finding(ERROR, path.name, rule, line=line, value=bad_row.text)


def _read_parquet(path: Path, findings: list[Finding]) -> pa.Table | None:
    """Read Parquet, with text columns (but ``transaction_id``) dictionary-encoded; ``None`` with a
    finding per column whose type holds more than one value a cell (lists, structs, maps)."""
    schema = pq.read_schema(path)
    nested = [f for f in schema if pa.types.is_nested(f.type)]
    for field in nested:
        findings.append(
            Finding(
                ERROR,
                path.name,
                f"column holds {field.type} values: each cell must be one plain value (text, number or date)",
                column=field.name,
            )
        )
    if nested:
        return None
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    return pq.read_table(path, read_dictionary=[n for n in text if fold(n) != KEY])


def _read_csv(path: Path, findings: list[Finding]) -> pa.Table:
    """Read every column as text; fall back to Windows-1252 when the file is not UTF-8."""
    try:
        table = _read_csv_text(path, "utf8")
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc).upper():
            raise
        table = _read_csv_text(path, "cp1252")
        findings.append(Finding(WARNING, path.name, "not UTF-8; read as Windows-1252 (as Excel saves on UK machines)"))
    return table.replace_schema_metadata({CSV_PATH_KEY: str(path).encode()})


def _read_csv_text(path: Path, encoding: str) -> pa.Table:
    """Read text cells, first assuming one record per line (fast), else letting quoted cells hold line breaks."""
    try:
        return _read_csv_as(path, encoding, multiline=False)
    except pa.ArrowInvalid as exc:
        if "CSV parse error" not in str(exc):
            raise
    return _read_csv_as(path, encoding, multiline=True)


def _read_csv_as(path: Path, encoding: str, multiline: bool, on_invalid_row: Callable | None = None) -> pa.Table:
    """Read ``transaction_id`` as plain text and the other columns dictionary-encoded (few distinct values).

    With ``on_invalid_row`` the file is read in order on one thread, so that pyarrow knows each row's line.
    """
    names = _csv_header(path, encoding)
    dictionary = pa.dictionary(pa.int32(), pa.string())
    types = {n: pa.string() if fold(n) == KEY else dictionary for n in names}
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, use_threads=on_invalid_row is None),
        parse_options=pacsv.ParseOptions(newlines_in_values=multiline, invalid_row_handler=on_invalid_row),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
    )


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The column names as pyarrow reads them (quotes, BOM), from the first block only."""
    skip_bad_rows = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip")
    reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(encoding=encoding), parse_options=skip_bad_rows)
    reader.close()
    return reader.schema.names


def _first_malformed_row(path: Path) -> pacsv.InvalidRow | None:
    """The first row whose number of cells differs from the header's (read again, in order, to know its line)."""
    rows: list[pacsv.InvalidRow] = []

    def keep(row: pacsv.InvalidRow) -> str:
        rows.append(row)
        return "error"

    for encoding in ("utf8", "cp1252"):
        with contextlib.suppress(pa.ArrowInvalid, UnicodeDecodeError):
            _read_csv_as(path, encoding, multiline=True, on_invalid_row=keep)
        if rows:
            return rows[0]
    return None


def _undecodable_line(path: Path) -> int | None:
    """The line of the first byte that Windows-1252 leaves undefined."""
    line = 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            match = _CP1252_UNDEFINED.search(block)
            if match:
                return line + block.count(b"\n", 0, match.start())
            line += block.count(b"\n")
    return None


def fold(name: str) -> str:
    """A column name as the contract spells it: trimmed, lower case."""
    return name.strip().lower()


class LineNumbers:
    """The line of each row as a person counts in the CSV file (header = line 1; empty lines count).

    A Parquet row is numbered as if the table were written out as CSV: the first row is line 2.
    """

    def __init__(self, raw: pa.Table):
        metadata = raw.schema.metadata or {}
        self._csv = Path(metadata[CSV_PATH_KEY].decode()) if CSV_PATH_KEY in metadata else None
        self._rows = raw.num_rows
        self._lines: np.ndarray | None = None

    def of(self, rows: list[int]) -> list[int]:
        """The line of each of ``rows`` (positions from 0 in the table)."""
        if not rows:
            return []
        if self._csv is not None and self._lines is None:  # counted once, and only for a finding
            self._lines = record_lines(self._csv)
        if self._lines is None or len(self._lines) != self._rows + 1:
            return [row + 2 for row in rows]  # Parquet, or lines we cannot match to rows: as if written out
        return [int(self._lines[row + 1]) for row in rows]


def record_lines(path: Path) -> np.ndarray:
    """The line (from 1) on which each record of a CSV file starts, the header first.

    Empty lines hold no record (pyarrow skips them), and a line break inside a quoted cell does
    not end its record: it is one where an odd number of quotes come before it.
    """
    with path.open("rb") as handle:
        newline = b"\r" if b"\n" not in handle.read(1 << 20) and path.stat().st_size else b"\n"
        handle.seek(0)
        ends, after_cr, next_lines = [], [], []
        offset, newlines, quoted, last_byte = 0, 0, False, 0
        for block in iter(lambda: handle.read(1 << 24), b""):
            data = np.frombuffer(block, np.uint8)
            inside = np.bitwise_xor.accumulate(data == ord('"')) ^ quoted
            breaks = np.flatnonzero(data == newline[0])
            record_ends = np.flatnonzero(~inside[breaks])
            ends.append(breaks[record_ends] + offset)
            next_lines.append(record_ends + newlines + 2)  # the record after newline k (from 0) starts on line k + 2
            before = np.concatenate([[last_byte], data])[breaks[record_ends]]  # the byte before each end
            after_cr.append(before == ord("\r"))
            offset, newlines, quoted, last_byte = offset + len(data), newlines + len(breaks), bool(inside[-1]), data[-1]
    ends = np.concatenate([*ends, [offset]])  # the end of the file ends the last record
    starts = np.concatenate([[0], ends[:-1] + 1])
    start_lines = np.concatenate([[1], *next_lines])
    length = ends - starts
    empty = (length <= 0) | ((length == 1) & np.concatenate([*after_cr, [False]]))
    return start_lines[~empty]
