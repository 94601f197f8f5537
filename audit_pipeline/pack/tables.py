"""Turn a raw table (text cells) into a typed DataFrame, collecting a finding per bad cell.

Typed columns: dates as ``datetime64[s]`` (NaT when empty), money and numbers
as ``float64`` (NaN when empty: "not collated" is missing, never zero), whole
numbers as ``Int64``, identifiers, enumerations and text as Python strings
(``None`` when empty). Every frame keeps ``_line``, the line in its file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd

from audit_pipeline.errors import ERROR, WARNING, Finding
from audit_pipeline.pack import parsers
from audit_pipeline.pack.contract import Column, Table
from audit_pipeline.pack.readers import RawTable

_PARSERS: dict[str, Callable[[Column], Callable[[str], object]]] = {
    "id": lambda c: parsers.parse_id,
    "text": lambda c: parsers.parse_text,
    "date": lambda c: parsers.parse_date,
    "money": lambda c: parsers.parse_money,
    "int": lambda c: parsers.parse_int,
    "number": lambda c: parsers.parse_number,
    "enum": lambda c: functools.partial(parsers.parse_enum, values=c.values),
    "services": lambda c: functools.partial(parsers.parse_services, values=c.values),
}


def empty_frame(spec: Table) -> pd.DataFrame:
    """A typed frame with the table's columns and no rows (an absent optional table)."""
    return _typed_frame(spec, {c.name: [] for c in spec.columns}, [])


def _typed_series(column: Column, values: list) -> pd.Series:
    if column.kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[s]")
    if column.kind in ("money", "number"):
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if column.kind == "int":
        return pd.Series(values, dtype="Int64")
    return pd.Series(values, dtype=object)


def _typed_frame(
    spec: Table, values: dict[str, list], lines: list[int], extra: dict[str, list] | None = None
) -> pd.DataFrame:
    data = {c.name: _typed_series(c, values[c.name]) for c in spec.columns}
    data["_line"] = pd.Series(lines, dtype="int64")
    for name, cells in (extra or {}).items():
        if name not in data:  # an unknown column never replaces a typed one, nor ``_line``
            data[name] = pd.Series(cells, dtype=object)
    return pd.DataFrame(data)


def header_map(raw: RawTable, spec: Table, findings: list[Finding]) -> dict[str, int] | None:
    """Map each contract column to its position in the file; ``None`` if a required column is missing."""
    positions: dict[str, int] = {}
    known = {c.name for c in spec.columns}
    for index, name in enumerate(raw.header):
        folded = str(name).strip().lower()
        if folded in positions and folded not in known:
            # An unknown column is ignored anyway; a second one of the same name is ignored too.
            findings.append(Finding(WARNING, raw.file, "unknown column appears twice: ignored", line=1, column=folded))
        elif folded in positions:
            findings.append(
                Finding(ERROR, raw.file, "the same column appears twice in the header", line=1, column=folded)
            )
        elif folded in known:
            positions[folded] = index
        elif folded:
            findings.append(
                Finding(WARNING, raw.file, "unknown column: kept and ignored", line=1, column=str(name).strip())
            )
            positions[folded] = index
    missing = [c.name for c in spec.columns if c.present and c.name not in positions]
    for name in missing:
        findings.append(Finding(ERROR, raw.file, "required column is missing from the header", line=1, column=name))
    return None if missing else positions


def check_minimum(column: Column, value: object) -> str | None:
    """The rule a value breaks by falling below its column's minimum, or ``None``."""
    if column.minimum is None or value is None:
        return None
    if column.strictly_above and not value > column.minimum:
        return f"must be greater than {column.minimum:g}"
    if value < column.minimum:
        return f"must be at least {column.minimum:g}"
    return None


def parse_raw(raw: RawTable, spec: Table, findings: list[Finding]) -> pd.DataFrame | None:
    """Parse every cell of ``raw`` by the table's contract; bad cells become findings."""
    positions = header_map(raw, spec, findings)
    if positions is None:
        return None
    values: dict[str, list] = {c.name: [] for c in spec.columns}
    extra_names = [n for n in positions if n not in values]
    extra: dict[str, list] = {n: [] for n in extra_names}
    lines = []
    for line, cells in raw.rows:
        lines.append(line)
        for column in spec.columns:
            position = positions.get(column.name)
            text = cells[position] if position is not None else None
            values[column.name].append(_parse_cell(raw.file, line, column, text, findings))
        for name in extra_names:
            extra[name].append(cells[positions[name]])
    frame = _typed_frame(spec, values, lines, extra)
    invalid = {(f.line, f.column) for f in findings if f.file == raw.file and f.line and f.line > 1}
    if invalid:  # pandas deep-copies non-empty attrs on every operation: a valid table carries none
        frame.attrs["invalid"] = invalid
    return frame


def _parse_cell(file: str, line: int, column: Column, text: str | None, findings: list[Finding]) -> object:
    if parsers.is_blank(text):
        if column.filled:
            findings.append(Finding(ERROR, file, "must not be empty", line=line, column=column.name, value=""))
        return None
    try:
        value = _PARSERS[column.kind](column)(text)
    except ValueError as exc:
        findings.append(Finding(ERROR, file, str(exc), line=line, column=column.name, value=text))
        return None
    problem = check_minimum(column, value)
    if problem:
        findings.append(Finding(ERROR, file, problem, line=line, column=column.name, value=text))
        return None
    return value
