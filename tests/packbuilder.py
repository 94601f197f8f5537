"""Build small data packs in a folder, for tests.

``write_pack(folder)`` writes a complete, minimal, valid pack: every required
table, every optional one, and ``programme.yaml``. Keyword arguments change
one thing at a time, so that a test says only what it is about::

    write_pack(tmp_path, cells={("costs", 0, "amount_gbp_m"): "9.8m"})
    write_pack(tmp_path, drop_files={"kpis", "kpi_values"})
    write_pack(tmp_path, formats={"costs": "xlsx"}, encodings={"savings": "cp1252"})

Rows are dicts of column -> value. In CSV a value is written with ``str``
(``None`` is an empty cell); in XLSX it is written as the Python value it is
(a ``date`` becomes a date cell, a ``float`` a number cell, a ``str`` text);
in Parquet the column types are inferred by pyarrow from the values.

``line(table, index)`` is the line (CSV) or sheet row (XLSX) on which the
row ``index`` of a default table is written: the header is line 1.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

PROGRAMME_YAML = """\
programme_id: ngss
name: Next Generation Shared Services
sponsor: Cabinet Office
strategy_published: 2012-12-01
thresholds:
  onboarding_slip_days_amber: 90
  onboarding_slip_days_red: 180
"""

# Column order as written; every column of the contract, required and optional.
COLUMNS: dict[str, list[str]] = {
    "periods": ["period_id", "label", "start_date", "end_date"],
    "estimates": ["estimate_id", "measure", "scope", "low_gbp_m", "high_gbp_m", "horizon", "as_at", "source"],
    "centres": ["centre_id", "name", "provider", "services", "go_live_date"],
    "bodies": [
        "body_id",
        "name",
        "centre_id",
        "planned_onboard_date",
        "actual_onboard_date",
        "som_status",
        "variations",
        "customers",
        "open_change_requests",
    ],
    "costs": ["period_id", "body_id", "cost_type", "amount_gbp_m", "status", "source"],
    "savings": ["period_id", "body_id", "attribution", "amount_gbp_m", "status", "evidence_level", "source"],
    "recommendations": ["rec_id", "source_report", "source_date", "text", "owner", "response", "target_date"],
    "recommendation_status": [
        "rec_id",
        "period_id",
        "status",
        "reported_status",
        "current_target_date",
        "revision_reason",
        "evidence",
        "assessed_on",
    ],
    "delivery_confidence": ["period_id", "rating", "assessor"],
    "kpis": ["kpi_id", "name", "unit", "direction", "benchmark"],
    "kpi_values": ["period_id", "centre_id", "kpi_id", "value", "reported_on"],
    "transactions": [
        "transaction_id",
        "centre_id",
        "body_id",
        "service",
        "received_date",
        "completed_date",
        "sla_days",
    ],
}

REQUIRED_TABLES = (
    "periods",
    "estimates",
    "centres",
    "bodies",
    "costs",
    "savings",
    "recommendations",
    "recommendation_status",
)
OPTIONAL_TABLES = ("delivery_confidence", "kpis", "kpi_values", "transactions")


def _rows(columns: list[str], *rows: tuple) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


_DEFAULT: dict[str, list[dict]] = {
    "periods": _rows(
        COLUMNS["periods"],
        ("P1", "2013-14 Q1", "2013-04-01", "2013-06-30"),
        ("P2", "2013-14 Q2", "2013-07-01", "2013-09-30"),
    ),
    "estimates": _rows(
        COLUMNS["estimates"],
        ("E1", "annual_savings", "whole strategy", "100", "200", "", "2012-12-01", "strategy"),
        ("E2", "implementation_cost", "whole strategy", "50", "50", "", "2012-12-01", ""),
        ("E3", "cumulative_savings", "two centres", "90", "128", "2014-15", "2013-06-01", "business case"),
    ),
    "centres": _rows(
        COLUMNS["centres"],
        ("C1", "Centre One", "Arvato", "finance;hr", "2013-04-01"),
        ("C2", "Centre Two", "Steria", "finance;hr;procurement", ""),
    ),
    "bodies": _rows(
        COLUMNS["bodies"],
        ("B1", "Department One", "C1", "2013-05-01", "2013-06-01", "adopted", "0", "1000", "2"),
        ("B2", "Department Two", "", "2014-01-01", "", "not_assessed", "0", "500", ""),
        ("B3", "Agency Three", "C2", "2013-08-01", "2013-09-15", "adopted_with_variations", "3", "250", "0"),
    ),
    "costs": _rows(
        COLUMNS["costs"],
        ("P1", "B1", "central_programme", "1.5", "actual", "accounts"),
        ("P1", "B2", "departmental_implementation", "", "not_collated", ""),
        ("P2", "B3", "departmental_implementation", "0.25", "forecast", ""),
    ),
    "savings": _rows(
        COLUMNS["savings"],
        ("P1", "B1", "shared_services", "2.0", "actual", "sufficient", "return"),
        ("P1", "B3", "reduced_activity", "-0.5", "actual", "partial", ""),
        ("P2", "B2", "unattributed", "", "not_collated", "", ""),
    ),
    "recommendations": _rows(
        COLUMNS["recommendations"],
        ("R1", "PAC 2012", "2012-12-01", "Set out a plan for onboarding.", "Cabinet Office", "accepted", "2014-03-31"),
        ("R2", "NAO 2014", "2013-06-01", "Measure savings.", "Cabinet Office", "partially_accepted", ""),
    ),
    "recommendation_status": _rows(
        COLUMNS["recommendation_status"],
        ("R1", "P1", "in_progress", "in_progress", "", "", "Plan in draft", "2013-07-10"),
        ("R1", "P2", "in_progress", "implemented", "2014-06-30", "Onboarding delayed", "", ""),
        ("R2", "P1", "not_started", "", "", "", "", ""),
    ),
    "delivery_confidence": _rows(
        COLUMNS["delivery_confidence"],
        ("P1", "amber", "Major Projects Authority"),
        ("P2", "amber_green", ""),
    ),
    "kpis": _rows(
        COLUMNS["kpis"],
        ("K1", "Invoices paid on time", "percent", "higher_is_better", "95"),
        ("K2", "Days to pay", "days", "lower_is_better", ""),
    ),
    "kpi_values": _rows(
        COLUMNS["kpi_values"],
        ("P1", "C1", "K1", "92.5", "2013-07-15"),
        ("P1", "C1", "K2", "4", ""),
        ("P2", "C2", "K1", "97", "2013-10-20"),
    ),
    "transactions": _rows(
        COLUMNS["transactions"],
        ("T1", "C1", "B1", "finance", "2013-04-02", "2013-04-05", "5"),
        ("T2", "C1", "B1", "hr", "2013-05-10", "", "10"),
        ("T3", "C2", "B3", "procurement", "2013-07-01", "2013-07-20", "15"),
    ),
}


def default_tables() -> dict[str, list[dict]]:
    """A fresh copy of the rows of the default valid pack (safe to change)."""
    return copy.deepcopy(_DEFAULT)


def line(table: str, index: int) -> int:
    """The line of row ``index`` of a default table as written (header = line 1)."""
    assert 0 <= index < len(_DEFAULT[table]), f"{table} has no row {index}"
    return index + 2


def csv_text(columns: list[str], rows: Iterable[Mapping], header: list[str] | None = None) -> str:
    """CSV text (CRLF line ends, as Excel writes) for rows; ``None`` is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return out.getvalue()


def write_xlsx(path: Path, columns: list[str], rows: Iterable[Mapping], header: list[str] | None = None) -> None:
    """Write rows to the first worksheet of an XLSX file, header in row 1; values keep their Python type."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = path.stem[:31]
    sheet.append(header or columns)
    for row in rows:
        values = [None if row.get(c) in (None, "") else row.get(c) for c in columns]
        sheet.append(values)
        for cell, value in zip(sheet[sheet.max_row], values, strict=False):
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even '=...'
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                cell.number_format = "DD/MM/YYYY"
    # A second sheet that must be ignored: only the first worksheet is read.
    book.create_sheet("Notes").append(["this sheet is not read"])
    book.save(path)


def write_parquet(
    path: Path, columns: list[str], rows: Iterable[Mapping], header: list[str] | None = None, schema=None
) -> None:
    """Write rows to a Parquet file (types inferred from the values unless ``schema`` is given)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(rows)
    data = {name: [r.get(c) for r in rows] for c, name in zip(columns, header or columns, strict=True)}
    table = pa.table(data, schema=schema) if schema is not None else pa.table(data)
    pq.write_table(table, path)


def write_table(
    folder: Path,
    name: str,
    rows: Iterable[Mapping],
    *,
    columns: list[str] | None = None,
    fmt: str = "csv",
    encoding: str = "utf-8",
    header: list[str] | None = None,
    schema=None,
) -> Path:
    """Write one table; ``fmt`` csv, xlsx or parquet; ``encoding`` for CSV (``utf-8-sig`` for a BOM)."""
    rows = list(rows)
    columns = COLUMNS[name] if columns is None else columns
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        path.write_bytes(csv_text(columns, rows, header).encode(encoding))
    elif fmt == "xlsx":
        write_xlsx(path, columns, rows, header)
    elif fmt == "parquet":
        write_parquet(path, columns, rows, header, schema)
    else:
        raise ValueError(f"unknown format {fmt}")
    return path


def write_pack(
    folder: Path,
    tables: Mapping[str, list[dict]] | None = None,
    *,
    cells: Mapping[tuple[str, int, str], object] | None = None,
    add_rows: Mapping[str, list[dict]] | None = None,
    drop_files: Iterable[str] = (),
    drop_columns: Mapping[str, Iterable[str]] | None = None,
    rename_columns: Mapping[str, Mapping[str, str]] | None = None,
    extra_columns: Mapping[str, Mapping[str, list]] | None = None,
    formats: Mapping[str, str] | None = None,
    encodings: Mapping[str, str] | None = None,
    programme: str | None = None,
    extra_files: Mapping[str, str | bytes] | None = None,
) -> Path:
    """Write a whole pack into ``folder`` and return it.

    - ``tables``: rows per table (default: ``default_tables()``); a table missing here is not written.
    - ``cells``: ``{(table, row index, column): value}`` changes one cell each.
    - ``add_rows``: rows appended to a table (missing columns are empty).
    - ``drop_files``: tables (or ``"programme"``) not written.
    - ``drop_columns``: columns left out of a table (header and cells).
    - ``rename_columns``: ``{table: {column: header as written}}``.
    - ``extra_columns``: ``{table: {header: [value per row]}}`` appended at the right.
    - ``formats``: ``{table: "csv" | "xlsx" | "parquet"}``.
    - ``encodings``: ``{table: "utf-8" | "utf-8-sig" | "cp1252"}`` for CSV files.
    - ``programme``: the text of ``programme.yaml``.
    - ``extra_files``: other files to write, ``{name: text or bytes}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = copy.deepcopy(dict(tables if tables is not None else _DEFAULT))
    for (table, index, column), value in (cells or {}).items():
        tables[table][index][column] = value
    for table, rows in (add_rows or {}).items():
        tables[table].extend(copy.deepcopy(rows))
    drop = set(drop_files)
    formats = formats or {}
    encodings = encodings or {}
    for name, rows in tables.items():
        if name in drop:
            continue
        columns = [
            c
            for c in COLUMNS.get(name, list(rows[0]) if rows else [])
            if c not in set((drop_columns or {}).get(name, ()))
        ]
        extras = (extra_columns or {}).get(name, {})
        if extras:
            rows = [dict(row) for row in rows]
            for header_name, values in extras.items():
                for row, value in zip(rows, values, strict=True):
                    row[header_name] = value
            columns = columns + list(extras)
        renames = (rename_columns or {}).get(name, {})
        header = [renames.get(c, c) for c in columns]
        write_table(
            folder,
            name,
            rows,
            columns=columns,
            fmt=formats.get(name, "csv"),
            encoding=encodings.get(name, "utf-8"),
            header=header,
        )
    if "programme" not in drop:
        (folder / "programme.yaml").write_text(PROGRAMME_YAML if programme is None else programme, encoding="utf-8")
    for name, content in (extra_files or {}).items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder
