"""Read and validate transaction-level MI (CSV or Parquet; millions of rows).

The rows are never looped over in Python: the file is read by pyarrow into
columns of text (or native Parquet types) and every rule of the contract is
one vectorised DuckDB query. The cell rules are those of ``parsers.py``; a
test checks that both agree.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .contract import ID_PATTERN, SERVICES, TABLES
from .errors import ERROR, WARNING, Finding

SPEC = TABLES["transactions"]
# At most this many findings per rule and column; the rest are counted in one more finding.
MAX_FINDINGS_PER_RULE = 50

_ISO = r"^\d{4}-\d{2}-\d{2}$"
_UK = r"^\d{1,2}/\d{1,2}/\d{4}$"
_INT = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.0+)?$"


def _read_csv(path: Path, findings: list[Finding]) -> pa.Table:
    # Read every column as text: first the header, to name the types.
    with path.open("rb") as handle:
        head = handle.readline().decode("utf-8-sig", errors="replace")
    names = [n.strip() for n in head.rstrip("\r\n").split(",")]
    options = {n: pa.string() for n in names}

    def read_text(encoding: str) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(column_types=options, strings_can_be_null=False),
        )

    try:
        table = read_text("utf8")
        if any(pa.types.is_binary(t) for t in table.schema.types):
            raise UnicodeError
    except (UnicodeError, pa.ArrowInvalid) as exc:
        if isinstance(exc, pa.ArrowInvalid) and "UTF8" not in str(exc).upper():
            raise
        table = read_text("cp1252")
        findings.append(Finding(WARNING, path.name, "not UTF-8; read as Windows-1252 (as Excel saves on UK machines)"))
    return table


def read_transactions(path: Path, findings: list[Finding]) -> pa.Table | None:
    """Read the file into an Arrow table (text columns for CSV), or ``None`` with a finding."""
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        return _read_csv(path, findings)
    except (pa.ArrowInvalid, OSError) as exc:
        message = str(exc).splitlines()[0]
        findings.append(Finding(ERROR, path.name, f"cannot be read: {message}"))
        return None


def _date_sql(column: str, arrow_type: pa.DataType) -> tuple[str, str]:
    """(typed value SQL, is-invalid SQL) for a date column of text or native type."""
    if pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type):
        return f"CAST({column} AS DATE)", "FALSE"
    text = f"trim(CAST({column} AS VARCHAR))"
    value = (
        f"CASE WHEN regexp_full_match({text}, '{_ISO}') THEN CAST(try_strptime({text}, '%Y-%m-%d') AS DATE) "
        f"WHEN regexp_full_match({text}, '{_UK}') THEN CAST(try_strptime({text}, '%d/%m/%Y') AS DATE) END"
    )
    return value, f"({text} <> '' AND ({value}) IS NULL)"


def _int_sql(column: str, arrow_type: pa.DataType) -> tuple[str, str]:
    if pa.types.is_integer(arrow_type):
        return f"CAST({column} AS BIGINT)", "FALSE"
    text = f"trim(CAST({column} AS VARCHAR))"
    value = f"TRY_CAST(regexp_replace(regexp_replace({text}, '\\.0+$', ''), ',', '', 'g') AS BIGINT)"
    return value, f"(NOT regexp_full_match({text}, '{_INT}') OR ({value}) IS NULL)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def validate_transactions(
    raw: pa.Table, file: str, centre_ids: set[str] | None, body_ids: set[str] | None, findings: list[Finding]
) -> pa.Table | None:
    """Check every rule; return the typed table (dates as date32, ``sla_days`` int64) or ``None``."""
    by_folded = {}
    for name in raw.column_names:
        folded = name.strip().lower()
        if folded in by_folded:
            findings.append(Finding(ERROR, file, "the same column appears twice in the header", line=1, column=folded))
        by_folded[folded] = name
    known = {c.name for c in SPEC.columns}
    for folded, name in by_folded.items():
        if folded not in known:
            findings.append(Finding(WARNING, file, "unknown column: kept and ignored", line=1, column=name.strip()))
    missing = [c.name for c in SPEC.columns if c.present and c.name not in by_folded]
    for name in missing:
        findings.append(Finding(ERROR, file, "required column is missing from the header", line=1, column=name))
    if missing:
        return None

    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        lines = pa.array(np.arange(2, raw.num_rows + 2, dtype=np.int64))
        con.register("raw_in", raw.append_column("_line_number", lines))
        typed, checks = _typed_select(raw, by_folded)
        con.execute(f"CREATE TEMP TABLE t AS SELECT _line_number AS _line, {typed} FROM raw_in")
        _collect(con, file, checks, findings)
        _check_keys_and_refs(con, file, centre_ids, body_ids, findings)
        return con.execute(
            "SELECT transaction_id, centre_id, body_id, service, received_date, completed_date, sla_days FROM t ORDER BY _line"
        ).to_arrow_table()
    finally:
        con.close()


def _typed_select(raw: pa.Table, by_folded: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """The SELECT list that types every column, and (column, invalid SQL, rule) checks."""
    select, checks = [], []
    for column in SPEC.columns:
        source = by_folded.get(column.name)
        if source is None:
            select.append(f"NULL AS {column.name}_src, NULL AS {column.name}")
            continue
        q = _quote(source)
        arrow_type = raw.schema.field(source).type
        text = f"trim(CAST({q} AS VARCHAR))"
        select.append(f"{text} AS {column.name}_src")
        blank = f"({q} IS NULL OR {text} = '')"
        if column.kind == "date":
            value, invalid = _date_sql(q, arrow_type)
            rule = "not a date: use YYYY-MM-DD or DD/MM/YYYY (never month-first)"
        elif column.kind == "int":
            value, invalid = _int_sql(q, arrow_type)
            rule = "not a whole number"
        elif column.kind == "enum":
            value = f"lower(regexp_replace({text}, '[\\s_-]+', '_', 'g'))"
            allowed = ", ".join(f"'{v}'" for v in SERVICES)
            invalid = f"({value} NOT IN ({allowed}))"
            rule = "not one of: " + ", ".join(SERVICES)
        elif column.kind == "id":
            value, invalid = text, f"NOT regexp_full_match({text}, '{ID_PATTERN[1:-1]}')"
            rule = "not a valid identifier: use letters, digits, '_', '.' or '-', starting with a letter or digit, at most 64 characters"
        else:
            value, invalid = text, "FALSE"
            rule = ""
        select.append(f"CASE WHEN {blank} THEN NULL ELSE {value} END AS {column.name}")
        if column.filled:
            checks.append((column.name, blank, "must not be empty"))
        checks.append((column.name, f"(NOT {blank} AND {invalid})", rule))
    checks.append(("sla_days", "sla_days IS NOT NULL AND sla_days <= 0", "must be greater than 0"))
    checks.append(("completed_date", "completed_date < received_date", "must be on or after received_date"))
    return ", ".join(select), checks


def _collect(con: duckdb.DuckDBPyConnection, file: str, checks, findings: list[Finding]) -> None:
    """Run every row check in one scan; add up to MAX_FINDINGS_PER_RULE findings each, then a count."""
    sums = ", ".join(f"count(*) FILTER (WHERE {sql})" for _, sql, _ in checks)
    counts = con.execute(f"SELECT {sums} FROM t").fetchone()
    for (column, sql, rule), count in zip(checks, counts, strict=True):
        if not count:
            continue
        rows = con.execute(
            f"SELECT _line, {column}_src FROM t WHERE {sql} ORDER BY _line LIMIT {MAX_FINDINGS_PER_RULE}"
        ).fetchall()
        for line, value in rows:
            findings.append(Finding(ERROR, file, rule, line=int(line), column=column, value=value))
        if count > len(rows):
            findings.append(Finding(ERROR, file, f"{rule}: {count - len(rows)} more rows like this", column=column))


def _check_keys_and_refs(con, file: str, centre_ids, body_ids, findings: list[Finding]) -> None:
    dup_count = con.execute(
        "SELECT count(*) FROM (SELECT transaction_id FROM t WHERE transaction_id IS NOT NULL "
        "GROUP BY transaction_id HAVING count(*) > 1)"
    ).fetchone()[0]
    if dup_count:
        rows = con.execute(
            "SELECT _line, transaction_id, first_line FROM (SELECT _line, transaction_id, "
            "min(_line) OVER (PARTITION BY transaction_id) AS first_line FROM t WHERE transaction_id IS NOT NULL) "
            f"WHERE _line > first_line ORDER BY _line LIMIT {MAX_FINDINGS_PER_RULE}"
        ).fetchall()
        for line, value, first in rows:
            findings.append(
                Finding(ERROR, file, f"transaction_id must be unique; already used on line {first}", line=int(line),
                        column="transaction_id", value=value)
            )
        if dup_count > len(rows):
            findings.append(Finding(ERROR, file, f"transaction_id must be unique: {dup_count} values repeat in all", column="transaction_id"))
    for column, ids, target in (("centre_id", centre_ids, "centres"), ("body_id", body_ids, "bodies")):
        if ids is None:
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE known_{column} (id VARCHAR)")
        con.executemany(f"INSERT INTO known_{column} VALUES (?)", [(i,) for i in sorted(ids)])
        where = f"{column} IS NOT NULL AND {column} NOT IN (SELECT id FROM known_{column})"
        count = con.execute(f"SELECT count(*) FROM t WHERE {where}").fetchone()[0]
        if not count:
            continue
        rows = con.execute(f"SELECT _line, {column} FROM t WHERE {where} ORDER BY _line LIMIT {MAX_FINDINGS_PER_RULE}").fetchall()
        for line, value in rows:
            findings.append(Finding(ERROR, file, f"must be a {column} listed in {target}", line=int(line), column=column, value=value))
        if count > len(rows):
            findings.append(Finding(ERROR, file, f"must be a {column} listed in {target}: {count - len(rows)} more rows like this", column=column))
