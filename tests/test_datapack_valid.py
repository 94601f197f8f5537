"""Packs the data contract calls valid must be accepted, and read to the right typed values."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import errors_of, warnings_of
from packbuilder import COLUMNS, OPTIONAL_TABLES, default_tables, write_pack, write_table

from audit_pipeline.errors import WARNING, DataPackError
from audit_pipeline.pack.contract import TABLES
from audit_pipeline.pack.load import load_pack, validate_pack

ROOT = Path(__file__).resolve().parent.parent
CSV_TABLES = [name for name in COLUMNS if name != "transactions"]


def _native(tables: dict[str, list[dict]], dates: bool, numbers: bool) -> dict[str, list[dict]]:
    """The default rows with dates as ``date`` and numbers as ``float``/``int`` (for date and number cells)."""
    for name, rows in tables.items():
        spec = TABLES[name]
        for row in rows:
            for column in spec.columns:
                text = row.get(column.name)
                if text in (None, ""):
                    continue
                if dates and column.kind == "date":
                    row[column.name] = dt.date.fromisoformat(text)
                elif numbers and column.kind in ("money", "number"):
                    row[column.name] = float(text)
                elif numbers and column.kind == "int":
                    row[column.name] = int(text)
    return tables


def test_default_pack_is_valid_with_no_findings(check):
    pack, findings = check()
    assert findings == []
    assert pack is not None
    assert set(pack.tables) == set(COLUMNS) - {"transactions"}
    assert pack.programme["programme_id"] == "ngss"
    assert pack.programme["strategy_published"] == dt.date(2012, 12, 1)
    assert pack.programme["thresholds"]["onboarding_slip_days_red"] == 180
    assert pack.transactions is not None and pack.transactions.num_rows == 3


def test_values_are_typed_and_not_collated_is_missing_not_zero(valid):
    pack, _ = valid()
    costs = pack["costs"]
    assert costs["amount_gbp_m"].tolist()[0] == 1.5
    assert math.isnan(costs["amount_gbp_m"].tolist()[1])
    assert costs["_line"].tolist() == [2, 3, 4]
    savings = pack["savings"]
    assert savings["amount_gbp_m"].tolist()[1] == -0.5  # a dis-saving is allowed
    periods = pack["periods"]
    assert str(periods["start_date"].dtype) == "datetime64[s]"
    assert periods["end_date"].iloc[0] == pd.Timestamp("2013-06-30")
    bodies = pack["bodies"]
    assert str(bodies["variations"].dtype) == "Int64"
    assert bodies["centre_id"].iloc[1] is None  # not yet assigned
    assert pack["centres"]["services"].tolist() == ["finance;hr", "finance;hr;procurement"]


def test_load_pack_returns_the_pack_and_raises_with_every_finding(pack_dir):
    write_pack(pack_dir)
    assert load_pack(pack_dir)["periods"]["period_id"].tolist() == ["P1", "P2"]
    write_pack(pack_dir, cells={("costs", 0, "amount_gbp_m"): "TBC", ("savings", 0, "amount_gbp_m"): "n/a"})
    with pytest.raises(DataPackError) as raised:
        load_pack(pack_dir)
    assert [(f.file, f.line) for f in errors_of(raised.value.findings)] == [("costs.csv", 2), ("savings.csv", 2)]
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("cells", [True, False], ids=["date-and-number-cells", "text-cells"])
def test_every_table_as_xlsx(pack_dir, cells):
    tables = _native(default_tables(), dates=cells, numbers=cells)
    write_pack(pack_dir, tables, formats={name: "xlsx" for name in CSV_TABLES})
    assert sorted(p.suffix for p in pack_dir.iterdir() if p.stem != "transactions") == [".xlsx"] * 11 + [".yaml"]
    pack, findings = validate_pack(pack_dir)
    assert findings == []
    assert pack["periods"]["start_date"].tolist() == [pd.Timestamp("2013-04-01"), pd.Timestamp("2013-07-01")]
    assert pack["estimates"]["high_gbp_m"].tolist() == [200.0, 50.0, 128.0]
    assert pack["bodies"]["customers"].tolist() == [1000, 500, 250]
    assert pack["costs"]["_line"].tolist() == [2, 3, 4]
    assert math.isnan(pack["costs"]["amount_gbp_m"].iloc[1])
    assert pack["kpi_values"]["value"].tolist() == [92.5, 4.0, 97.0]


def test_xlsx_small_and_large_number_cells_are_read_exactly(valid):
    tables = default_tables()
    tables["costs"][0]["amount_gbp_m"] = 0.00001  # £10: Python writes 1e-05
    tables["costs"][2]["amount_gbp_m"] = 12345678.25
    tables["bodies"][0]["customers"] = 120000
    pack, _ = valid(tables=tables, formats={"costs": "xlsx", "bodies": "xlsx"})
    assert pack["costs"]["amount_gbp_m"].iloc[0] == 0.00001
    assert pack["costs"]["amount_gbp_m"].iloc[2] == 12345678.25
    assert pack["bodies"]["customers"].iloc[0] == 120000


def test_xlsx_with_blank_rows_keeps_sheet_row_numbers(valid):
    tables = default_tables()
    tables["costs"].insert(1, {})  # an empty row 3 in the sheet
    pack, _ = valid(tables=tables, formats={"costs": "xlsx"})
    assert pack["costs"]["_line"].tolist() == [2, 4, 5]


def test_windows_1252_file_with_pound_sign(valid):
    tables = default_tables()
    tables["costs"][0]["amount_gbp_m"] = "£9.8"
    tables["costs"][0]["source"] = "Café accounts – 2013"
    pack, findings = valid(tables=tables, encodings={"costs": "cp1252"})
    raw = (pack.directory / "costs.csv").read_bytes()
    assert b"\xa39.8" in raw  # really Windows-1252
    assert pack["costs"]["amount_gbp_m"].iloc[0] == 9.8
    assert pack["costs"]["source"].iloc[0] == "Café accounts – 2013"
    assert [(f.file, f.severity) for f in findings] == [("costs.csv", WARNING)]
    assert "Windows-1252" in findings[0].rule


def test_bom_then_windows_1252_is_read_as_windows_1252(valid, pack_dir):
    valid(cells={("costs", 0, "amount_gbp_m"): "£9.8"}, encodings={"costs": "cp1252"})
    path = pack_dir / "costs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    pack, findings = validate_pack(pack_dir)
    assert errors_of(findings) == []
    assert pack["costs"]["amount_gbp_m"].iloc[0] == 9.8
    assert [(f.file, f.line) for f in findings] == [("costs.csv", 2)]


def test_utf8_with_bom(valid):
    pack, findings = valid(
        encodings={name: "utf-8-sig" for name in COLUMNS}, cells={("costs", 0, "amount_gbp_m"): "£9.8"}
    )
    assert (pack.directory / "periods.csv").read_bytes().startswith(b"\xef\xbb\xbfperiod_id")
    assert findings == []
    assert pack["periods"]["period_id"].tolist() == ["P1", "P2"]
    assert pack["costs"]["amount_gbp_m"].iloc[0] == 9.8
    assert pack.transactions.column("transaction_id").to_pylist() == ["T1", "T2", "T3"]


def test_uk_dates_everywhere(valid):
    tables = default_tables()
    for name, rows in tables.items():
        for row in rows:
            for column in TABLES[name].columns:
                if column.kind == "date" and row.get(column.name):
                    row[column.name] = dt.date.fromisoformat(row[column.name]).strftime("%d/%m/%Y")
    assert tables["periods"][0]["end_date"] == "30/06/2013"
    pack, _ = valid(tables=tables)
    assert pack["periods"]["end_date"].iloc[0] == pd.Timestamp("2013-06-30")
    assert pack["recommendations"]["target_date"].iloc[0] == pd.Timestamp("2014-03-31")
    assert pack.transactions.column("received_date").to_pylist()[0] == dt.date(2013, 4, 2)


def test_13_01_2014_is_13_january(valid):
    pack, _ = valid(cells={("recommendations", 0, "source_date"): "13/01/2014"})
    assert pack["recommendations"]["source_date"].iloc[0] == pd.Timestamp("2014-01-13")


def test_headers_in_any_case_with_spaces(valid):
    renames = {
        name: {c: f"  {c.upper()} " for c in columns} for name, columns in COLUMNS.items() if name != "transactions"
    }
    renames["periods"]["period_id"] = "Period_Id"
    pack, findings = valid(rename_columns=renames)
    assert findings == []
    assert pack["periods"]["period_id"].tolist() == ["P1", "P2"]
    assert pack["bodies"]["customers"].tolist() == [1000, 500, 250]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_transactions_headers_in_any_case_with_spaces(valid, fmt):
    renames = {"transactions": {c: f" {c.title()} " for c in COLUMNS["transactions"]}}
    pack, findings = valid(rename_columns=renames, formats={"transactions": fmt})
    assert findings == []
    assert pack.transactions.column("sla_days").to_pylist() == [5, 10, 15]
    assert pack.transactions.column("received_date").to_pylist()[0] == dt.date(2013, 4, 2)


def test_extra_columns_are_warnings_and_kept(valid):
    pack, findings = valid(
        extra_columns={"costs": {"Notes": ["a", "", "c"]}, "transactions": {"team": ["x", "y", "z"]}}
    )
    assert [(f.severity, f.file, f.line, f.column) for f in findings] == [
        (WARNING, "costs.csv", 1, "Notes"),
        (WARNING, "transactions.csv", 1, "team"),
    ]
    assert "unknown column" in findings[0].rule
    assert pack["costs"]["amount_gbp_m"].iloc[0] == 1.5


def test_extra_column_named_like_an_internal_one_does_not_break_reading(valid):
    _, findings = valid(extra_columns={"costs": {"_line": ["x", "", "z"]}})
    assert [(f.file, f.column) for f in findings] == [("costs.csv", "_line")]


def test_two_unknown_columns_with_the_same_name_are_warnings(pack_dir):
    tables = default_tables()
    write_pack(pack_dir, tables)
    columns = COLUMNS["costs"] + ["note", "note2"]
    write_table(pack_dir, "costs", tables["costs"], columns=columns, header=COLUMNS["costs"] + ["Note", "note "])
    pack, findings = validate_pack(pack_dir)
    assert errors_of(findings) == []
    assert [(f.file, f.line, f.column) for f in warnings_of(findings)] == [
        ("costs.csv", 1, "Note"),
        ("costs.csv", 1, "note"),
    ]


def test_money_with_thousands_separator_and_pound(valid):
    pack, _ = valid(cells={("estimates", 0, "high_gbp_m"): "£1,234.5", ("estimates", 0, "low_gbp_m"): " 1,000 "})
    assert pack["estimates"]["high_gbp_m"].iloc[0] == 1234.5
    assert pack["estimates"]["low_gbp_m"].iloc[0] == 1000.0


def test_optional_tables_absent(valid):
    pack, findings = valid(drop_files=set(OPTIONAL_TABLES))
    assert findings == []
    assert pack.transactions is None
    for name in ("delivery_confidence", "kpis", "kpi_values"):
        assert pack[name].empty
        assert [c.name for c in TABLES[name].columns] == [c for c in pack[name].columns if c != "_line"]


def test_optional_columns_absent(valid):
    drop = {name: [c.name for c in TABLES[name].columns if not c.present] for name in COLUMNS}
    assert drop["savings"] == ["evidence_level", "source"]
    pack, findings = valid(drop_columns=drop)
    assert findings == []
    assert pack["savings"]["evidence_level"].isna().all()
    assert pack["recommendations"]["target_date"].isna().all()
    assert pack.transactions.column("completed_date").null_count == 3


@pytest.mark.parametrize("name", ["delivery_confidence", "kpis", "kpi_values", "transactions"])
def test_header_only_optional_table_is_valid_with_no_rows(valid, name):
    tables = default_tables()
    tables[name] = []
    if name == "kpis":
        tables["kpi_values"] = []
    pack, findings = valid(tables=tables)
    assert findings == []
    if name == "transactions":
        assert pack.transactions.num_rows == 0
    else:
        assert pack[name].empty


def test_transactions_as_parquet_with_native_types(valid):
    schema = pa.schema(
        [
            ("transaction_id", pa.string()),
            ("centre_id", pa.string()),
            ("body_id", pa.string()),
            ("service", pa.string()),
            ("received_date", pa.date32()),
            ("completed_date", pa.date32()),
            ("sla_days", pa.int64()),
        ]
    )
    rows = [
        {
            "transaction_id": "T1",
            "centre_id": "C1",
            "body_id": "B1",
            "service": "Finance",
            "received_date": dt.date(2013, 4, 2),
            "completed_date": dt.date(2013, 4, 5),
            "sla_days": 5,
        },
        {
            "transaction_id": "T2",
            "centre_id": "C2",
            "body_id": "B3",
            "service": "HR",
            "received_date": dt.date(2013, 7, 1),
            "completed_date": None,
            "sla_days": 10,
        },
    ]
    pack, _ = valid(drop_files={"transactions"})
    write_table(pack.directory, "transactions", rows, fmt="parquet", schema=schema)
    pack, findings = validate_pack(pack.directory)
    assert findings == []
    assert pack.transactions.column("service").to_pylist() == ["finance", "hr"]
    assert pack.transactions.column("completed_date").to_pylist() == [dt.date(2013, 4, 5), None]
    assert pack.transactions.column("sla_days").to_pylist() == [5, 10]


def test_transactions_as_parquet_with_timestamps_and_text(valid):
    rows = [
        {
            "transaction_id": 1,
            "centre_id": "C1",
            "body_id": "B1",
            "service": "finance",
            "received_date": dt.datetime(2013, 4, 2),
            "completed_date": "05/04/2013",
            "sla_days": "5",
        },
    ]
    pack, _ = valid(drop_files={"transactions"})
    write_table(pack.directory, "transactions", rows, fmt="parquet")
    pack, findings = validate_pack(pack.directory)
    assert errors_of(findings) == []
    assert pack.transactions.column("received_date").to_pylist() == [dt.date(2013, 4, 2)]
    assert pack.transactions.column("completed_date").to_pylist() == [dt.date(2013, 4, 5)]


def test_transactions_as_xlsx(valid):
    pack, _ = valid(formats={"transactions": "xlsx"})
    assert pack.transactions.column("transaction_id").to_pylist() == ["T1", "T2", "T3"]
    assert pack.transactions.column("sla_days").to_pylist() == [5, 10, 15]


def test_enum_values_are_folded(valid):
    pack, _ = valid(
        cells={
            ("recommendation_status", 0, "status"): "In progress",
            ("delivery_confidence", 1, "rating"): "Amber-Green",
            ("bodies", 2, "som_status"): "Adopted with variations",
            ("centres", 0, "services"): "HR; Finance",
            ("transactions", 0, "service"): " Finance ",
        }
    )
    assert pack["recommendation_status"]["status"].iloc[0] == "in_progress"
    assert pack["delivery_confidence"]["rating"].iloc[1] == "amber_green"
    assert pack["bodies"]["som_status"].iloc[2] == "adopted_with_variations"
    assert pack["centres"]["services"].iloc[0] == "finance;hr"
    assert pack.transactions.column("service").to_pylist()[0] == "finance"


def test_free_text_is_data_unchanged(valid):
    script = "<script>alert(1)</script>"
    formula = '=HYPERLINK("http://evil.example","Click")'
    pack, findings = valid(
        cells={
            ("recommendations", 0, "text"): script,
            ("recommendations", 1, "text"): formula,
            ("recommendation_status", 0, "evidence"): "+cmd|' /C calc'!A0",
            ("centres", 0, "name"): "@SUM(1+1)",
            ("bodies", 0, "name"): "-2+3",
        }
    )
    assert findings == []
    assert pack["recommendations"]["text"].tolist() == [script, formula]
    assert pack["recommendation_status"]["evidence"].iloc[0] == "+cmd|' /C calc'!A0"
    assert pack["centres"]["name"].iloc[0] == "@SUM(1+1)"
    assert pack["bodies"]["name"].iloc[0] == "-2+3"


def test_free_text_in_xlsx_is_data_unchanged(valid):
    formula = '=HYPERLINK("http://evil.example","Click")'
    pack, _ = valid(cells={("recommendations", 0, "text"): formula}, formats={"recommendations": "xlsx"})
    assert pack["recommendations"]["text"].iloc[0] == formula


def test_quoted_multiline_cell_is_one_record(valid):
    pack, _ = valid(cells={("recommendations", 0, "text"): "First line.\nSecond line, with a comma."})
    assert pack["recommendations"]["text"].iloc[0] == "First line.\nSecond line, with a comma."
    assert pack["recommendations"]["_line"].tolist() == [2, 4]


def test_unix_line_endings_and_blank_lines(valid, pack_dir):
    valid()
    text = (pack_dir / "costs.csv").read_text(encoding="utf-8").replace("\r\n", "\n")
    lines = text.split("\n")
    lines.insert(2, "")  # a blank line 3
    (pack_dir / "costs.csv").write_text("\n".join(lines), encoding="utf-8")
    pack, findings = validate_pack(pack_dir)
    assert findings == []
    assert pack["costs"]["_line"].tolist() == [2, 4, 5]


def test_revised_target_date_equal_to_original_needs_no_reason(valid):
    pack, _ = valid(cells={("recommendation_status", 0, "current_target_date"): "31/03/2014"})
    assert pack["recommendation_status"]["current_target_date"].iloc[0] == pd.Timestamp("2014-03-31")


def test_variations_may_be_non_zero_when_adopted_with_variations(valid):
    pack, _ = valid(cells={("bodies", 2, "variations"): "12"})
    assert pack["bodies"]["variations"].iloc[2] == 12


def test_point_estimate_high_equals_low(valid):
    pack, _ = valid(cells={("estimates", 0, "low_gbp_m"): "150", ("estimates", 0, "high_gbp_m"): "£150"})
    assert pack["estimates"]["low_gbp_m"].iloc[0] == pack["estimates"]["high_gbp_m"].iloc[0] == 150.0


def test_readme_is_ignored_and_other_files_warned(check):
    pack, findings = check(extra_files={"README.md": "notes", "old_costs.csv": "a,b\n"})
    assert pack is not None
    assert [(f.severity, f.file) for f in findings] == [(WARNING, "old_costs.csv")]


def test_unknown_programme_key_is_a_warning(check):
    from packbuilder import PROGRAMME_YAML

    pack, findings = check(programme=PROGRAMME_YAML + "colour: blue\n")
    assert pack is not None
    assert [(f.severity, f.file, f.line, f.column) for f in findings] == [(WARNING, "programme.yaml", 8, "colour")]


def test_programme_cover_text_is_read_and_optional(check):
    """``issuer`` and ``data_note`` (shown on the report's cover) are optional lines of text; a wrapped
    note reads as one paragraph, and a value that looks like a date or number is text once quoted."""
    from packbuilder import PROGRAMME_YAML

    pack, findings = check(programme=PROGRAMME_YAML)
    assert findings == []
    assert "issuer" not in pack.programme and "data_note" not in pack.programme
    text = PROGRAMME_YAML + "issuer: National Audit Office\ndata_note: >\n  Most of it is\n  illustrative.\n"
    pack, findings = check(programme=text)
    assert findings == []
    assert pack.programme["issuer"] == "National Audit Office"
    assert pack.programme["data_note"] == "Most of it is illustrative."
    pack, findings = check(programme=PROGRAMME_YAML + "issuer: '2016'\ndata_note: ''\n")
    assert findings == []
    assert pack.programme["issuer"] == "2016" and "data_note" not in pack.programme


def test_programme_dates_may_be_uk_text(check):
    from packbuilder import PROGRAMME_YAML

    pack, findings = check(programme=PROGRAMME_YAML.replace("2012-12-01", "'01/12/2012'"))
    assert findings == []
    assert pack.programme["strategy_published"] == dt.date(2012, 12, 1)


def test_bundled_sample_pack_is_valid():
    pack, findings = validate_pack(ROOT / "data" / "ngss")
    assert errors_of(findings) == [], "\n".join(map(str, errors_of(findings)))
    assert pack is not None
