"""Validate transaction-level MI (millions of rows) read by ``transaction_files``.

The rows are never looped over in Python. Every column but ``transaction_id``
holds few distinct values (two centres, some bodies, a few thousand dates), so
it is read dictionary-encoded: each distinct cell is parsed once, by the cell
parsers of ``parsers.py`` (the single definition of a valid cell), and the
typed column is a ``take`` from the parsed dictionary. Rows are scanned only
for a rule that some value breaks, to find their lines. ``transaction_id`` is
checked for repeats by sorting a 64-bit hash of each value; equal hashes are
then confirmed on the values themselves.

A column of many distinct values (say, timestamps where dates belong) is still
checked correctly, only more slowly: its distinct values are parsed one by one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from audit_pipeline.errors import ERROR, WARNING, Finding
from audit_pipeline.pack import parsers
from audit_pipeline.pack.contract import TABLES, Column
from audit_pipeline.pack.tables import check_minimum
from audit_pipeline.pack.transaction_files import KEY, LineNumbers, fold

SPEC = TABLES["transactions"]
# At most this many findings per rule and column; the rest are counted in one more finding.
MAX_FINDINGS_PER_RULE = 50
_ARROW_TYPES = {"date": pa.date32(), "int": pa.int64()}
_TEXT_PARSERS: dict[str, Callable[[Column], Callable[[str], object]]] = {
    "id": lambda c: parsers.parse_id,
    "date": lambda c: parsers.parse_date,
    "int": lambda c: parsers.parse_int,
    "enum": lambda c: partial(parsers.parse_enum, values=c.values),
    "text": lambda c: parsers.parse_text,
}
_INT64 = range(-(2**63), 2**63)


def _arrow_type(column: Column) -> pa.DataType:
    """The type of a column in the typed table: dates as date32, whole numbers int64, the rest text."""
    return _ARROW_TYPES.get(column.kind, pa.string())


def _header(raw: pa.Table, file: str, findings: list[Finding]) -> dict[str, int] | None:
    """Map each folded column name to its position; ``None`` if a required column is missing."""
    positions: dict[str, int] = {}
    known = {c.name for c in SPEC.columns}
    for position, name in enumerate(raw.column_names):
        folded = fold(name)
        if folded in positions:
            findings.append(Finding(ERROR, file, "the same column appears twice in the header", line=1, column=folded))
            continue
        positions[folded] = position
        if folded not in known:
            findings.append(Finding(WARNING, file, "unknown column: kept and ignored", line=1, column=name.strip()))
    missing = [c.name for c in SPEC.columns if c.present and c.name not in positions]
    for name in missing:
        findings.append(Finding(ERROR, file, "required column is missing from the header", line=1, column=name))
    return None if missing else positions


@dataclass
class _Encoded:
    """A column as its distinct cells and, for each row, the position of its cell among them."""

    distinct: list
    indices: pa.ChunkedArray  # int32; null for a missing cell (Parquet)

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Encoded:
        if pa.types.is_null(column.type):
            column = column.cast(pa.string())
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        column = pa.table({"c": column}).unify_dictionaries().column(0)
        if column.num_chunks == 0:
            return cls([], pa.chunked_array([], pa.int32()))
        indices = pa.chunked_array([c.indices for c in column.chunks], column.type.index_type)
        return cls(column.chunk(0).dictionary.to_pylist(), indices.cast(pa.int32()))

    def cells(self, rows: list[int]) -> list[str]:
        """The cells of ``rows`` as text, as written in the file."""
        positions = self.indices.take(pa.array(rows, pa.int64())).to_pylist()
        return ["" if p is None or self.distinct[p] is None else str(self.distinct[p]) for p in positions]


@dataclass
class _Breach:
    """The rows (a boolean mask) that break one rule of one column, and how to show their values."""

    column: str
    rule: str
    mask: pa.ChunkedArray
    values: Callable[[list[int]], list[str]]


def validate_transactions(
    raw: pa.Table, file: str, centre_ids: set[str] | None, body_ids: set[str] | None, findings: list[Finding]
) -> pa.Table | None:
    """Check every rule; return the typed table (dates as date32, ``sla_days`` int64) or ``None``.

    Typed columns hold null where a cell is empty or invalid; ``service`` is normalised (``HR`` -> ``hr``).
    """
    positions = _header(raw, file, findings)
    if positions is None:
        return None
    ids, breaches = _check_key(raw.column(positions[KEY]), SPEC.column(KEY))
    with ThreadPoolExecutor(max_workers=1) as pool:  # the search for repeated ids runs beside the cell checks
        repeats = pool.submit(_repeated_rows, ids)
        typed, cell_breaches = _check_columns(raw, positions, {"centre_id": centre_ids, "body_id": body_ids})
        repeated, first_rows = repeats.result()
    lines = LineNumbers(raw)
    for breach in breaches + cell_breaches:
        _report(breach, file, lines, findings)
    _report_repeats(ids, repeated, first_rows, file, lines, findings)
    return pa.table({c.name: ids if c.name == KEY else typed[c.name] for c in SPEC.columns})


def _check_columns(
    raw: pa.Table, positions: dict[str, int], known: dict[str, set[str] | None]
) -> tuple[dict[str, pa.ChunkedArray], list[_Breach]]:
    """Type and check every column but ``transaction_id``, and ``completed_date >= received_date``."""
    typed: dict[str, pa.ChunkedArray] = {}
    breaches: list[_Breach] = []
    for column in SPEC.columns:
        if column.name == KEY:
            continue
        if column.name not in positions:  # an optional column left out
            typed[column.name] = pa.chunked_array([pa.nulls(raw.num_rows, _arrow_type(column))])
            continue
        encoded = _Encoded.of(raw.column(positions[column.name]))
        typed[column.name], column_breaches = _check_cells(column, encoded, known.get(column.name))
        breaches += column_breaches
        if column.name == "completed_date":
            early = pc.less(typed["completed_date"], typed["received_date"])
            breaches.append(_Breach(column.name, "must be on or after received_date", early, encoded.cells))
    return typed, breaches


def _check_key(source: pa.ChunkedArray, column: Column) -> tuple[pa.ChunkedArray, list[_Breach]]:
    """``transaction_id`` as trimmed text (null when empty) and the rows where it is empty."""
    text = source if pa.types.is_string(source.type) else source.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(text)
    empty = pc.fill_null(pc.equal(pc.binary_length(trimmed), 0), True)
    if not pc.any(empty).as_py():
        return trimmed, []
    typed = pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)
    return typed, [_Breach(column.name, "must not be empty", empty, lambda rows: [""] * len(rows))]


def _check_cells(column: Column, encoded: _Encoded, known: set[str] | None) -> tuple[pa.ChunkedArray, list[_Breach]]:
    """Parse each distinct cell once; the typed column, and a breach for each rule that some cell breaks."""
    values, broken = [], defaultdict(list)
    for position, cell in enumerate(encoded.distinct):
        value, problem = _parse_cell(column, cell)
        if problem is None and known is not None and value is not None and value not in known:
            target = "centres" if column.name == "centre_id" else "bodies"
            value, problem = None, f"must be a {column.name} listed in {target}"
        values.append(value)
        if problem:
            broken[problem].append(position)
    if column.filled and encoded.indices.null_count:
        broken["must not be empty"].append(None)  # a missing (null) cell is empty too
    dictionary = pa.array(values, _arrow_type(column))
    typed = pc.take(dictionary, encoded.indices)
    breaches = [
        _Breach(column.name, rule, pc.is_in(encoded.indices, value_set=pa.array(where, pa.int32())), encoded.cells)
        for rule, where in broken.items()
    ]
    return typed, breaches


def _parse_cell(column: Column, cell: object) -> tuple[object, str | None]:
    """(typed value, None), or (None, the rule it breaks); a blank cell is (None, None) where allowed."""
    if cell is None or (isinstance(cell, str) and parsers.is_blank(cell)):
        return None, "must not be empty" if column.filled else None
    if column.kind == "date" and isinstance(cell, dt.date):  # a Parquet date or timestamp
        value = cell.date() if isinstance(cell, dt.datetime) else cell
    elif column.kind == "int" and isinstance(cell, int) and not isinstance(cell, bool):
        value = cell
    else:
        try:
            value = _TEXT_PARSERS[column.kind](column)(str(cell))
        except ValueError as exc:
            return None, str(exc)
    if column.kind == "int" and value not in _INT64:
        return None, "not a whole number that fits in 64 bits"
    problem = check_minimum(column, value)
    return (None, problem) if problem else (value, None)


def _report(breach: _Breach, file: str, lines: LineNumbers, findings: list[Finding]) -> None:
    """Add a finding for each of the first rows that break the rule, then one counting the rest."""
    count = pc.sum(breach.mask).as_py() or 0
    if not count:
        return
    rows = _first_rows(breach.mask, MAX_FINDINGS_PER_RULE)
    for line, value in zip(lines.of(rows), breach.values(rows), strict=True):
        findings.append(Finding(ERROR, file, breach.rule, line=line, column=breach.column, value=value))
    if count > len(rows):
        findings.append(
            Finding(ERROR, file, f"{breach.rule}: {count - len(rows)} more rows like this", column=breach.column)
        )


def _first_rows(mask: pa.ChunkedArray, limit: int) -> list[int]:
    """Positions of the first ``limit`` true values of ``mask``."""
    rows: list[int] = []
    offset = 0
    for chunk in mask.chunks:
        hits = pc.indices_nonzero(chunk.fill_null(False))
        rows += [offset + i for i in hits[: limit - len(rows)].to_pylist()]
        if len(rows) >= limit:
            break
        offset += len(chunk)
    return rows


def _repeated_rows(ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose ``transaction_id`` an earlier row already has, in order, and that earlier row for each."""
    nothing = np.array([], np.int64)
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("ids", pa.table({"id": ids}))
        hashes = con.sql("SELECT hash(id) AS h FROM ids WHERE id IS NOT NULL").to_arrow_table().column("h")
        hashes = np.sort(hashes.to_numpy())
        if not np.any(hashes[1:] == hashes[:-1]):
            return nothing, nothing  # no two hashes are equal, so no two values are
        con.register("numbered", pa.table({"id": ids, "row": np.arange(len(ids))}))
        repeats = con.sql(
            "SELECT row, first FROM (SELECT row, min(row) OVER (PARTITION BY id) AS first FROM numbered "
            "WHERE id IS NOT NULL) WHERE row > first ORDER BY row"
        ).fetchnumpy()
    finally:
        con.close()
    return np.asarray(repeats["row"], np.int64), np.asarray(repeats["first"], np.int64)


def _report_repeats(
    ids: pa.ChunkedArray, repeated: np.ndarray, first_rows: np.ndarray, file: str, lines: LineNumbers, findings
) -> None:
    """A finding for each of the first rows that repeat an earlier ``transaction_id``, then one counting the rest."""
    if not len(repeated):
        return
    shown = [int(r) for r in repeated[:MAX_FINDINGS_PER_RULE]]
    firsts = lines.of([int(r) for r in first_rows[:MAX_FINDINGS_PER_RULE]])
    values = ids.take(pa.array(shown, pa.int64())).to_pylist()
    for line, first, value in zip(lines.of(shown), firsts, values, strict=True):
        rule = f"transaction_id must be unique; already used on line {first}"
        findings.append(Finding(ERROR, file, rule, line=line, column=KEY, value=value))
    if len(repeated) > len(shown):
        rule = f"transaction_id must be unique: {len(repeated) - len(shown)} more rows like this"
        findings.append(Finding(ERROR, file, rule, column=KEY))
