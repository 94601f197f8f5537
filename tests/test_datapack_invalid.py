"""Every rule of the data contract, broken once: the validator names the file, line, column and value.

Each test changes one thing in the default valid pack (see ``packbuilder.py``) and
asserts the single error that results, exactly where it is.
"""

from __future__ import annotations

import pytest
from conftest import assert_errors, assert_finding, errors_of, only_error
from packbuilder import COLUMNS, PROGRAMME_YAML, REQUIRED_TABLES, default_tables, line, write_pack, write_table

from audit_pipeline.errors import ERROR, WARNING
from audit_pipeline.pack import parsers
from audit_pipeline.pack.contract import TABLES
from audit_pipeline.pack.load import validate_pack

# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", REQUIRED_TABLES)
def test_missing_required_file(invalid, table):
    finding = invalid(drop_files={table})
    assert_finding(finding, file=f"{table}.csv", line=None, column=None, rule="required file is missing")


def test_missing_programme_yaml(invalid):
    finding = invalid(drop_files={"programme"})
    assert_finding(finding, file="programme.yaml", line=None, column=None, rule="required file is missing")


def test_kpi_values_without_kpis(invalid):
    finding = invalid(drop_files={"kpis"})
    assert_finding(finding, file="kpi_values.csv", line=None, column=None, rule="needs kpis")


@pytest.mark.parametrize(("table", "other"), [("costs", "xlsx"), ("kpis", "xlsx"), ("transactions", "parquet")])
def test_exactly_one_file_per_table(pack_dir, table, other):
    tables = default_tables()
    write_pack(pack_dir, tables)
    write_table(pack_dir, table, tables[table], fmt=other)
    pack, findings = validate_pack(pack_dir)
    assert pack is None
    finding = only_error(findings)
    assert_finding(finding, file=f"{table}.csv", line=None, column=None, rule="exactly one file per table")
    assert f"{table}.{other}" in finding.rule


def test_both_csv_and_xlsx_for_a_table_with_different_case(pack_dir):
    write_pack(pack_dir)
    write_table(pack_dir, "costs", default_tables()["costs"], fmt="xlsx").rename(pack_dir / "Costs.XLSX")
    pack, findings = validate_pack(pack_dir)
    assert "exactly one file per table" in only_error(findings).rule


@pytest.mark.parametrize("table", list(COLUMNS))
def test_missing_required_columns(check, table):
    required = [c.name for c in TABLES[table].columns if c.present]
    pack, findings = check(drop_columns={table: required})
    assert pack is None
    assert_errors(findings, [(f"{table}.csv", 1, column, None, "required column is missing") for column in required])


def test_missing_one_required_column(invalid):
    finding = invalid(drop_columns={"savings": ["attribution"]})
    assert_finding(finding, file="savings.csv", line=1, column="attribution", rule="required column is missing")


def test_missing_required_column_in_xlsx(invalid):
    finding = invalid(drop_columns={"costs": ["status"]}, formats={"costs": "xlsx"})
    assert_finding(finding, file="costs.xlsx", line=1, column="status", rule="required column is missing")


def test_same_column_twice(pack_dir):
    write_pack(pack_dir, extra_columns={"costs": {" Amount_GBP_m": ["1", "2", "3"]}})
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="costs.csv", line=1, column="amount_gbp_m", rule="twice")


@pytest.mark.parametrize("table", ["costs", "transactions"])
def test_undecodable_bytes_name_the_file_and_line(pack_dir, table):
    write_pack(pack_dir)
    path = pack_dir / f"{table}.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2].replace(b"B", b"B\x81", 1)  # 0x81 is neither UTF-8 nor Windows-1252
    path.write_bytes(b"\r\n".join(lines))
    pack, findings = validate_pack(pack_dir)
    assert pack is None
    assert_finding(only_error(findings), file=f"{table}.csv", line=3, column=None, rule="cannot be decoded")


def test_undecodable_programme_yaml(invalid):
    finding = invalid(extra_files={"programme.yaml": b"programme_id: ngss\nname: Caf\xe9\n"})
    assert_finding(finding, file="programme.yaml", line=2, column=None, value="byte 0xE9", rule="UTF-8")


@pytest.mark.parametrize("name", ["costs.csv", "kpis.xlsx", "programme.yaml"])
def test_a_folder_named_like_a_file_is_an_error_not_a_crash(pack_dir, name):
    write_pack(pack_dir, drop_files={name.split(".")[0]})
    (pack_dir / name).mkdir()
    pack, findings = validate_pack(pack_dir)
    assert pack is None
    finding = errors_of(findings)[0]
    assert (finding.file, finding.line) == (name, None)
    assert "cannot be" in finding.rule


@pytest.mark.parametrize("table", ["kpis", "costs", "transactions"])
def test_empty_file_is_an_error(pack_dir, table):
    write_pack(pack_dir)
    (pack_dir / f"{table}.csv").write_bytes(b"")
    pack, findings = validate_pack(pack_dir)
    assert pack is None
    finding = only_error(findings)
    assert (finding.file, finding.column) == (f"{table}.csv", None)
    assert "empty" in finding.rule.lower()


def test_damaged_xlsx(pack_dir):
    write_pack(pack_dir, drop_files={"costs"}, extra_files={"costs.xlsx": b"PK\x03\x04 not really a workbook"})
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="costs.xlsx", line=None, column=None, rule="cannot be opened")


def test_xlsx_header_not_in_row_1(pack_dir):
    from openpyxl import Workbook

    write_pack(pack_dir, drop_files={"costs"})
    book = Workbook()
    book.active.append([])
    book.active.append(COLUMNS["costs"])
    book.save(pack_dir / "costs.xlsx")
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="costs.xlsx", line=1, column=None, rule="header must be in row 1")


# --- CSV records and line numbers ----------------------------------------------------------------


def test_row_with_too_many_cells(pack_dir):
    write_pack(pack_dir)
    path = pack_dir / "costs.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("not_collated,", "not_collated,,extra", 1), encoding="utf-8"
    )
    pack, findings = validate_pack(pack_dir)
    finding = only_error(findings)
    assert_finding(finding, file="costs.csv", line=3, column=None, rule="has 7 cells where the header has 6")


def test_row_with_too_few_cells(pack_dir):
    write_pack(pack_dir)
    path = pack_dir / "periods.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",2013-09-30", "", 1), encoding="utf-8")
    pack, findings = validate_pack(pack_dir)
    errors = errors_of(findings)
    assert [(f.file, f.line, f.column) for f in errors] == [("periods.csv", 3, None), ("periods.csv", 3, "end_date")]
    assert "has 3 cells where the header has 4" in errors[0].rule


def test_multiline_cell_shifts_the_lines_after_it(invalid):
    finding = invalid(
        cells={
            ("recommendations", 0, "text"): "Line one,\nline two\nand three.",
            ("recommendations", 1, "response"): "maybe",
        }
    )
    assert_finding(finding, file="recommendations.csv", line=5, column="response", value="maybe", rule="not one of")


def test_blank_lines_count(pack_dir):
    write_pack(pack_dir, cells={("costs", 2, "cost_type"): "capital"})
    path = pack_dir / "costs.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n\r\n", 1))  # a blank line 2
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="costs.csv", line=5, column="cost_type", value="capital")


def test_xlsx_line_is_the_sheet_row(pack_dir):
    tables = default_tables()
    tables["costs"][2]["amount_gbp_m"] = "9.8m"
    tables["costs"].insert(1, {})  # a blank sheet row 3
    write_pack(pack_dir, tables, formats={"costs": "xlsx"})
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="costs.xlsx", line=5, column="amount_gbp_m", value="9.8m")


def test_xlsx_transactions_line_is_the_sheet_row(pack_dir):
    tables = default_tables()
    tables["transactions"][2]["sla_days"] = 0
    tables["transactions"][1]["transaction_id"] = "T1"
    tables["transactions"].insert(1, {})  # a blank sheet row 3
    write_pack(pack_dir, tables, formats={"transactions": "xlsx"})
    pack, findings = validate_pack(pack_dir)
    errors = errors_of(findings)
    assert [(f.file, f.line, f.column) for f in errors] == [
        ("transactions.xlsx", 4, "transaction_id"),
        ("transactions.xlsx", 5, "sla_days"),
    ]
    assert "already used on line 2" in errors[0].rule


def test_extra_column_named_line_does_not_move_findings(invalid):
    finding = invalid(cells={("costs", 1, "cost_type"): "capital"}, extra_columns={"costs": {"_line": ["9", "9", "9"]}})
    assert_finding(finding, file="costs.csv", line=3, column="cost_type", value="capital")


# --- cells ---------------------------------------------------------------------------------------


BAD_IDS = ["E/2", ".E2", "../E2", "x" * 65, "E 2", "-E2", "é"]


def test_bad_identifier(check):
    rows = [{**default_tables()["estimates"][0], "estimate_id": value} for value in BAD_IDS]
    pack, findings = check(add_rows={"estimates": rows})
    assert_errors(
        findings, [("estimates.csv", 5 + i, "estimate_id", v, "not a valid identifier") for i, v in enumerate(BAD_IDS)]
    )


def test_bad_identifier_in_a_reference_is_one_error(invalid):
    finding = invalid(cells={("costs", 2, "body_id"): "../B3"})
    assert_finding(finding, file="costs.csv", line=4, column="body_id", value="../B3", rule="not a valid identifier")


BAD_DATES = [
    ("01/13/2014", "month-first"),
    ("31/02/2014", "not a real calendar date"),
    ("2014-02-29", "not a real calendar date"),
    ("2014/01/13", "not a date"),
    ("13 Jan 2014", "not a date"),
    ("TBC", "not a date"),
]


def test_bad_date(check):
    base = default_tables()["recommendations"][0]
    rows = [{**base, "rec_id": f"R{10 + i}", "source_date": value} for i, (value, _) in enumerate(BAD_DATES)]
    pack, findings = check(add_rows={"recommendations": rows})
    assert_errors(
        findings, [("recommendations.csv", 4 + i, "source_date", v, rule) for i, (v, rule) in enumerate(BAD_DATES)]
    )


def test_bad_optional_date(invalid):
    finding = invalid(cells={("bodies", 1, "planned_onboard_date"): "soon"})
    assert_finding(finding, file="bodies.csv", line=3, column="planned_onboard_date", value="soon", rule="not a date")


def test_bad_date_in_xlsx_text_cell(invalid):
    finding = invalid(cells={("periods", 1, "start_date"): "01/13/2013"}, formats={"periods": "xlsx"})
    assert_finding(finding, file="periods.xlsx", line=3, column="start_date", value="01/13/2013", rule="month-first")


def _cost_rows(column: str, values: list[str]) -> list[dict]:
    base = {
        "period_id": "P1",
        "body_id": "B1",
        "cost_type": "central_programme",
        "amount_gbp_m": "1",
        "status": "actual",
    }
    return [{**base, column: value} for value in values]


BAD_MONEY = ["9.8m", "n/a", "TBC", "£9.8m", "1,23", "$9.8", "9,8"]


def test_bad_money(check):
    pack, findings = check(add_rows={"costs": _cost_rows("amount_gbp_m", BAD_MONEY)})
    assert_errors(
        findings,
        [("costs.csv", 5 + i, "amount_gbp_m", v, "not an amount in £ million") for i, v in enumerate(BAD_MONEY)],
    )


@pytest.mark.parametrize("table", ["costs", "savings"])
def test_money_empty_only_when_not_collated(invalid, table):
    finding = invalid(cells={(table, 0, "amount_gbp_m"): ""})
    assert_finding(
        finding, file=f"{table}.csv", line=2, column="amount_gbp_m", value="", rule="only when status is not_collated"
    )


def test_money_empty_where_always_required(invalid):
    finding = invalid(cells={("estimates", 2, "low_gbp_m"): "  "})
    assert_finding(finding, file="estimates.csv", line=4, column="low_gbp_m", value="", rule="must not be empty")


def test_amount_given_with_not_collated_is_a_warning(check):
    pack, findings = check(cells={("costs", 1, "amount_gbp_m"): "3"})
    assert pack is not None
    assert_finding(
        findings[0], file="costs.csv", line=3, column="amount_gbp_m", value="3", severity=WARNING, rule="ignored"
    )


def test_negative_cost(check):
    values = ["-1", "-£0.5", "£-0.5", "-0.001"]
    pack, findings = check(add_rows={"costs": _cost_rows("amount_gbp_m", values)})
    assert_errors(findings, [("costs.csv", 5 + i, "amount_gbp_m", v, "at least 0") for i, v in enumerate(values)])


def test_negative_estimate(invalid):
    finding = invalid(cells={("estimates", 0, "low_gbp_m"): "-5"})
    assert_finding(finding, file="estimates.csv", line=2, column="low_gbp_m", value="-5", rule="at least 0")


def test_negative_savings_are_allowed(valid):
    pack, _ = valid(cells={("savings", 0, "amount_gbp_m"): "-£1,234.5"})
    assert pack["savings"]["amount_gbp_m"].iloc[0] == -1234.5


BAD_WHOLE_NUMBERS = [
    ("customers", "many", "not a whole number"),
    ("customers", "1.5", "not a whole number"),
    ("customers", "-5", "at least 0"),
    ("customers", "99999999999999999999", "too large"),
    ("variations", "-1", "at least 0"),
    ("variations", "", "must not be empty"),
    ("open_change_requests", "-2", "at least 0"),
    ("open_change_requests", "two", "not a whole number"),
]


def test_bad_whole_numbers(check):
    base = {"name": "New body", "som_status": "not_adopted", "variations": "0", "customers": "1"}
    rows = [{**base, "body_id": f"B{10 + i}", column: value} for i, (column, value, _) in enumerate(BAD_WHOLE_NUMBERS)]
    pack, findings = check(add_rows={"bodies": rows})
    assert_errors(findings, [("bodies.csv", 5 + i, c, v, rule) for i, (c, v, rule) in enumerate(BAD_WHOLE_NUMBERS)])


def test_variations_must_be_zero_when_adopted(invalid):
    finding = invalid(cells={("bodies", 0, "variations"): "2"})
    assert_finding(
        finding, file="bodies.csv", line=2, column="variations", value="2", rule="must be 0 when som_status is adopted"
    )


def test_variations_zero_check_reads_folded_status(invalid):
    finding = invalid(cells={("bodies", 2, "som_status"): " Adopted "})
    assert_finding(finding, file="bodies.csv", line=4, column="variations", value="3", rule="must be 0")


BAD_ENUMS = [
    ("costs", 0, "cost_type", "capital"),
    ("costs", 1, "status", "estimated"),
    ("savings", 1, "attribution", "programme"),
    ("savings", 0, "evidence_level", "good"),
    ("estimates", 0, "measure", "savings"),
    ("bodies", 1, "som_status", "adopted?"),
    ("recommendations", 0, "response", "agreed"),
    ("recommendation_status", 0, "status", "done"),
    ("recommendation_status", 0, "reported_status", "complete"),
    ("delivery_confidence", 0, "rating", "purple"),
    ("delivery_confidence", 1, "rating", "amber/green"),
    ("kpis", 0, "unit", "pounds"),
    ("kpis", 1, "direction", "up"),
    ("centres", 0, "services", "finance;payroll"),
    ("centres", 1, "services", "finance, hr"),
]


def test_bad_enum(check):
    pack, findings = check(cells={(t, i, c): v for t, i, c, v in BAD_ENUMS})
    assert_errors(findings, [(f"{t}.csv", line(t, i), c, v, "not ") for t, i, c, v in BAD_ENUMS])


def test_bad_kpi_values(check):
    cells = {
        ("kpi_values", 0, "value"): "92%",
        ("kpi_values", 1, "value"): "",
        ("kpi_values", 2, "reported_on"): "15/07",
    }
    pack, findings = check(cells=cells)
    assert_errors(
        findings,
        [
            ("kpi_values.csv", 2, "value", "92%", "not a number"),
            ("kpi_values.csv", 3, "value", "", "must not be empty"),
            ("kpi_values.csv", 4, "reported_on", "15/07", "not a date"),
        ],
    )


def test_bad_benchmark(invalid):
    finding = invalid(cells={("kpis", 0, "benchmark"): "95%"})
    assert_finding(finding, file="kpis.csv", line=2, column="benchmark", value="95%", rule="not a number")


def test_required_cells_empty(check):
    empty = [
        ("periods", 0, "label"),
        ("centres", 1, "provider"),
        ("recommendations", 1, "text"),
        ("costs", 2, "status"),
        ("estimates", 1, "as_at"),
        ("kpis", 0, "name"),
        ("delivery_confidence", 0, "rating"),
    ]
    pack, findings = check(cells={(t, i, c): "" for t, i, c in empty})
    assert_errors(findings, [(f"{t}.csv", line(t, i), c, "", "must not be empty") for t, i, c in empty])


# --- keys ----------------------------------------------------------------------------------------

_DUPLICATES = {
    "periods": {"period_id": "P2", "label": "2013-14 Q3", "start_date": "2013-10-01", "end_date": "2013-12-31"},
    "estimates": {
        "estimate_id": "E1",
        "measure": "annual_savings",
        "scope": "x",
        "low_gbp_m": "1",
        "high_gbp_m": "2",
        "as_at": "2013-01-01",
    },
    "centres": {"centre_id": "C1", "name": "Again", "provider": "X", "services": "hr"},
    "bodies": {"body_id": "B1", "name": "Again", "som_status": "not_adopted", "variations": "0", "customers": "1"},
    "recommendations": {
        "rec_id": "R1",
        "source_report": "X",
        "source_date": "2013-01-01",
        "text": "t",
        "owner": "o",
        "response": "accepted",
    },
    "recommendation_status": {"rec_id": "R2", "period_id": "P1", "status": "in_progress"},
    "delivery_confidence": {"period_id": "P1", "rating": "red"},
    "kpis": {"kpi_id": "K1", "name": "Again", "unit": "count", "direction": "higher_is_better"},
    "transactions": {
        "transaction_id": "T1",
        "centre_id": "C1",
        "body_id": "B1",
        "service": "hr",
        "received_date": "2013-05-01",
        "sla_days": "3",
    },
}
_FIRST_LINE = {
    "periods": 3,
    "estimates": 2,
    "centres": 2,
    "bodies": 2,
    "recommendations": 2,
    "recommendation_status": 4,
    "delivery_confidence": 2,
    "kpis": 2,
    "transactions": 2,
}
_KEY_VALUE = {"recommendation_status": "R2 + P1"}


def test_duplicate_keys_name_the_line_of_the_duplicate(check):
    pack, findings = check(add_rows={table: [row] for table, row in _DUPLICATES.items()})
    expected = []
    for table, row in _DUPLICATES.items():
        key = TABLES[table].key
        expected.append(
            (
                f"{table}.csv",
                len(default_tables()[table]) + 2,
                key[-1],
                _KEY_VALUE.get(table, row[key[0]]),
                f"already used on line {_FIRST_LINE[table]}",
            )
        )
    assert_errors(findings, expected)
    assert all("must be unique" in f.rule for f in errors_of(findings))


def test_duplicate_key_matches_after_trimming(invalid):
    finding = invalid(cells={("estimates", 2, "estimate_id"): " E1 "})
    assert_finding(finding, file="estimates.csv", line=4, column="estimate_id", value="E1", rule="must be unique")


def test_three_rows_with_one_key_give_two_findings(check):
    row = _DUPLICATES["centres"]
    pack, findings = check(add_rows={"centres": [row, dict(row)]})
    assert [(f.file, f.line) for f in errors_of(findings)] == [("centres.csv", 4), ("centres.csv", 5)]


def test_repeated_kpi_value_is_a_warning(check):
    row = {"period_id": "P1", "centre_id": "C1", "kpi_id": "K1", "value": "93"}
    pack, findings = check(add_rows={"kpi_values": [row]})
    assert pack is not None
    assert_finding(
        findings[0], file="kpi_values.csv", line=5, column="kpi_id", value="K1", severity=WARNING, rule="repeats"
    )


# --- references ----------------------------------------------------------------------------------


REFERENCES = [
    ("bodies", 0, "centre_id", "centres.csv"),
    ("costs", 1, "period_id", "periods.csv"),
    ("costs", 2, "body_id", "bodies.csv"),
    ("savings", 0, "period_id", "periods.csv"),
    ("savings", 2, "body_id", "bodies.csv"),
    ("recommendation_status", 2, "rec_id", "recommendations.csv"),
    ("recommendation_status", 1, "period_id", "periods.csv"),
    ("delivery_confidence", 1, "period_id", "periods.csv"),
    ("kpi_values", 0, "period_id", "periods.csv"),
    ("kpi_values", 1, "centre_id", "centres.csv"),
    ("kpi_values", 2, "kpi_id", "kpis.csv"),
    ("transactions", 1, "centre_id", "centres"),
    ("transactions", 2, "body_id", "bodies"),
]


def test_references_to_missing_rows(check):
    pack, findings = check(cells={(t, i, c): "X9" for t, i, c, _ in REFERENCES})
    assert_errors(
        findings, [(f"{t}.csv", line(t, i), c, "X9", f"listed in {target}") for t, i, c, target in REFERENCES]
    )


def test_reference_into_an_xlsx_table_names_that_file(invalid):
    finding = invalid(cells={("costs", 0, "body_id"): "B9"}, formats={"bodies": "xlsx"})
    assert_finding(finding, file="costs.csv", line=2, column="body_id", value="B9", rule="listed in bodies.xlsx")


def test_references_are_case_sensitive(invalid):
    finding = invalid(cells={("costs", 0, "period_id"): "p1"})
    assert_finding(finding, file="costs.csv", line=2, column="period_id", value="p1", rule="listed in periods.csv")


# --- rules across columns and rows ---------------------------------------------------------------


def test_period_ends_before_it_starts(invalid):
    finding = invalid(cells={("periods", 0, "end_date"): "31/03/2013"})
    assert_finding(
        finding, file="periods.csv", line=2, column="end_date", value="2013-03-31", rule="on or after start_date"
    )


@pytest.mark.parametrize("start", ["2013-06-30", "2013-04-01"])
def test_overlapping_periods(invalid, start):
    finding = invalid(cells={("periods", 1, "start_date"): start})
    assert_finding(finding, file="periods.csv", line=3, column="start_date", value=start, rule="must not overlap")
    assert "P1 (line 2)" in finding.rule


def test_overlap_found_when_rows_are_out_of_order(invalid):
    tables = default_tables()
    tables["periods"].reverse()
    tables["periods"][0]["start_date"] = "2013-06-01"  # P2 now on line 2
    finding = invalid(tables=tables)
    assert_finding(
        finding, file="periods.csv", line=2, column="start_date", value="2013-06-01", rule="must not overlap"
    )


def test_a_period_inside_a_longer_one_overlaps(invalid):
    row = {"period_id": "P3", "label": "x", "start_date": "2013-10-01", "end_date": "2014-03-31"}
    inner = {"period_id": "P4", "label": "y", "start_date": "2013-11-01", "end_date": "2013-11-30"}
    finding = invalid(add_rows={"periods": [row, inner]})
    assert_finding(
        finding, file="periods.csv", line=5, column="start_date", value="2013-11-01", rule="must not overlap"
    )


def test_periods_header_only(check):
    tables = default_tables()
    for name in ("periods", "costs", "savings", "recommendation_status", "delivery_confidence", "kpi_values"):
        tables[name] = []
    pack, findings = check(tables=tables)
    assert_finding(only_error(findings), file="periods.csv", line=None, column=None, rule="at least one period")


def test_high_below_low(invalid):
    finding = invalid(cells={("estimates", 2, "high_gbp_m"): "89.5"})
    assert_finding(finding, file="estimates.csv", line=4, column="high_gbp_m", value="89.5", rule="at least low_gbp_m")


@pytest.mark.parametrize(("index", "date"), [(0, "2014-09-30"), (2, "30/09/2014")])
def test_revised_target_date_needs_a_reason(invalid, index, date):
    # Row 0 revises R1 (original 2014-03-31); row 2 gives R2, which had no target date, one.
    finding = invalid(cells={("recommendation_status", index, "current_target_date"): date})
    assert_finding(
        finding,
        file="recommendation_status.csv",
        line=line("recommendation_status", index),
        column="revision_reason",
        value="",
        rule="required when current_target_date differs",
    )


def test_duplicate_rec_id_is_one_error_not_a_cascade(invalid):
    row = {**default_tables()["recommendations"][1], "target_date": "2015-01-01"}
    finding = invalid(add_rows={"recommendations": [{**row, "rec_id": "R1"}]})
    assert_finding(finding, file="recommendations.csv", line=4, column="rec_id", value="R1", rule="must be unique")


# --- transactions --------------------------------------------------------------------------------


BAD_TRANSACTIONS = [
    ("sla_days", "0", "greater than 0"),
    ("sla_days", "-3", "greater than 0"),
    ("sla_days", "1.5", "whole number"),
    ("sla_days", "five", "whole number"),
    ("sla_days", "", "must not be empty"),
    ("service", "payroll", "not one of"),
    ("received_date", "31/02/2013", "not a real calendar date"),
    ("received_date", "04/13/2013", "month-first"),
    ("received_date", "", "must not be empty"),
    ("completed_date", "2013-13-01", "not a real calendar date"),
    ("completed_date", "20/13/2013", "not a real calendar date"),
    ("completed_date", "2013-04-01", "on or after received_date"),
    ("centre_id", "C/1", "not a valid identifier"),
    ("body_id", "", "must not be empty"),
    ("transaction_id", "", "must not be empty"),
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bad_transaction_cells(check, fmt):
    base = {
        "centre_id": "C1",
        "body_id": "B1",
        "service": "finance",
        "received_date": "2013-04-02",
        "completed_date": "2013-04-05",
        "sla_days": "5",
    }
    rows = [
        {**base, "transaction_id": f"T{10 + i}", column: value} for i, (column, value, _) in enumerate(BAD_TRANSACTIONS)
    ]
    pack, findings = check(add_rows={"transactions": rows}, formats={"transactions": fmt})
    assert pack is None
    assert_errors(
        findings, [(f"transactions.{fmt}", 5 + i, c, v, rule) for i, (c, v, rule) in enumerate(BAD_TRANSACTIONS)]
    )


def test_transaction_completed_before_received(invalid):
    finding = invalid(cells={("transactions", 0, "completed_date"): "01/04/2013"})
    assert_finding(
        finding,
        file="transactions.csv",
        line=2,
        column="completed_date",
        value="01/04/2013",
        rule="on or after received_date",
    )


def test_transactions_with_a_multiline_cell_keep_line_numbers(pack_dir):
    write_pack(
        pack_dir,
        extra_columns={"transactions": {"note": ["two\nlines", "", ""]}},
        cells={("transactions", 2, "sla_days"): "0"},
    )
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="transactions.csv", line=5, column="sla_days", value="0")


def test_transactions_with_a_blank_line_keep_line_numbers(pack_dir):
    write_pack(pack_dir, cells={("transactions", 2, "sla_days"): "0"})
    path = pack_dir / "transactions.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n\r\n", 1))  # a blank line 2
    pack, findings = validate_pack(pack_dir)
    assert_finding(only_error(findings), file="transactions.csv", line=5, column="sla_days", value="0")


def test_transactions_row_with_too_many_cells(pack_dir):
    write_pack(pack_dir)
    path = pack_dir / "transactions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",10", ",10,extra", 1), encoding="utf-8")
    pack, findings = validate_pack(pack_dir)
    finding = only_error(findings)
    assert (finding.file, finding.line) == ("transactions.csv", 3)


def test_transaction_checks_agree_with_the_cell_parsers(pack_dir):
    """The bulk (DuckDB) path rejects exactly the cells that ``parsers.py`` rejects."""
    dates = [
        "2013-04-02",
        "2/4/2013",
        "02/04/2013",
        "13/01/2014",
        "01/13/2014",
        "31/02/2013",
        "29/02/2016",
        "2013-4-2",
        "2013/04/02",
        " 2013-04-02 ",
        "0000-01-01",
        "9999-12-31",
        "1/1/13",
        "2013-04-02x",
    ]
    slas = ["5", "1,000", "5.0", "5.5", "0", "-1", " 7 ", "+3", "1e3", "x", "99999999999999999999"]
    services = ["finance", "HR", "Procure-ment", "pro curement", "payroll", "fin ance", "_hr_"]
    n = max(len(dates), len(slas), len(services))
    rows = [
        {
            "transaction_id": f"T{i}",
            "centre_id": "C1",
            "body_id": "B1",
            "service": services[i % len(services)],
            "received_date": dates[i % len(dates)],
            "sla_days": slas[i % len(slas)],
        }
        for i in range(n)
    ]
    tables = default_tables()
    tables["transactions"] = rows
    write_pack(pack_dir, tables)
    _, findings = validate_pack(pack_dir)

    def rejected(parse, text):
        try:
            return parse(text) is None
        except ValueError:
            return True

    def positive_int(text):
        return None if parsers.parse_int(text) <= 0 else 1

    expected = {
        "received_date": {i + 2 for i, r in enumerate(rows) if rejected(parsers.parse_date, r["received_date"])},
        "sla_days": {i + 2 for i, r in enumerate(rows) if rejected(positive_int, r["sla_days"])},
        "service": {
            i + 2
            for i, r in enumerate(rows)
            if rejected(lambda t: parsers.parse_enum(t, ("finance", "hr", "procurement")), r["service"])
        },
    }
    found = {
        column: {f.line for f in findings if f.file == "transactions.csv" and f.column == column} for column in expected
    }
    assert found == expected
    assert all(f.severity == ERROR for f in findings)


# --- programme.yaml ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["programme_id", "name", "sponsor", "strategy_published"])
def test_programme_missing_key(invalid, key):
    text = "\n".join(row for row in PROGRAMME_YAML.splitlines() if not row.startswith(key + ":")) + "\n"
    finding = invalid(programme=text)
    assert_finding(finding, file="programme.yaml", line=None, column=key, rule="required key is missing")


def test_programme_empty_key_names_its_line(invalid):
    finding = invalid(programme=PROGRAMME_YAML.replace("sponsor: Cabinet Office", "sponsor:"))
    assert_finding(finding, file="programme.yaml", line=3, column="sponsor", rule="required key is missing or empty")


@pytest.mark.parametrize("value", ["../ngss", "x" * 65])
def test_programme_bad_id(invalid, value):
    finding = invalid(programme=PROGRAMME_YAML.replace("programme_id: ngss", f"programme_id: '{value}'"))
    assert_finding(
        finding, file="programme.yaml", line=1, column="programme_id", value=value, rule="not a valid identifier"
    )


def test_programme_bad_date(invalid):
    finding = invalid(programme=PROGRAMME_YAML.replace("2012-12-01", "'12/31/2012'"))
    assert_finding(
        finding, file="programme.yaml", line=4, column="strategy_published", value="12/31/2012", rule="month-first"
    )


def test_programme_impossible_date_names_its_line(invalid):
    finding = invalid(programme=PROGRAMME_YAML.replace("2012-12-01", "2012-13-01"))
    assert_finding(
        finding,
        file="programme.yaml",
        line=4,
        column="strategy_published",
        value="2012-13-01",
        rule="not a real calendar date",
    )


def test_programme_value_that_cannot_be_built_names_its_line(invalid):
    finding = invalid(
        programme=PROGRAMME_YAML.replace("onboarding_slip_days_red: 180", "onboarding_slip_days_red: !!int abc")
    )
    assert_finding(finding, file="programme.yaml", line=7, column=None, rule="cannot read 'abc'")


def test_programme_python_tag_is_refused_without_running_it(invalid, tmp_path):
    marker = tmp_path / "pwned"
    text = PROGRAMME_YAML + f'audit_body: !!python/object/apply:os.system ["touch {marker}"]\n'
    finding = invalid(programme=text)
    assert not marker.exists()
    assert_finding(finding, file="programme.yaml", line=8, column=None, rule="not safe")


def test_programme_python_tag_at_top_level_is_refused(invalid, tmp_path):
    marker = tmp_path / "pwned"
    finding = invalid(programme=f'!!python/object/apply:os.system ["touch {marker}"]\n')
    assert not marker.exists()
    assert_finding(finding, file="programme.yaml", line=1, column=None, rule="not safe")


def test_programme_yaml_syntax_error_names_the_line(invalid):
    finding = invalid(programme=PROGRAMME_YAML.replace("sponsor: Cabinet Office", "sponsor: [Cabinet Office"))
    assert finding.file == "programme.yaml"
    assert finding.line is not None and 3 <= finding.line <= 5


def test_programme_not_a_mapping(invalid):
    finding = invalid(programme="- just\n- a list\n")
    assert_finding(finding, file="programme.yaml", line=1, column=None, rule="mapping")


@pytest.mark.parametrize(
    ("replacement", "line", "column"),
    [
        ("onboarding_slip_days_red: lots", 7, "thresholds.onboarding_slip_days_red"),
        ("onboarding_slip_days_red: -1", 7, "thresholds.onboarding_slip_days_red"),
        ("onboarding_slip_days_red: 60", 6, "thresholds.onboarding_slip_days_amber"),
    ],
)
def test_programme_bad_threshold(invalid, replacement, line, column):
    finding = invalid(programme=PROGRAMME_YAML.replace("onboarding_slip_days_red: 180", replacement))
    assert_finding(finding, file="programme.yaml", line=line, column=column)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("issuer: 42", "42", "a number"),
        ("issuer: yes", "True", "true or false"),
        ("data_note: [illustrative, figures]", "['illustrative', 'figures']", "a list"),
        ("data_note: {note: illustrative}", "{'note': 'illustrative'}", "a mapping"),
    ],
)
def test_programme_cover_text_of_the_wrong_type_names_its_line(invalid, text, value, kind):
    """``issuer`` and ``data_note`` are shown on the cover: anything but text is refused where it is."""
    finding = invalid(programme=PROGRAMME_YAML + text + "\n")
    key = text.split(":")[0]
    assert_finding(finding, file="programme.yaml", line=8, column=key, value=value, rule="must be a line of text")
    assert kind in finding.rule


def test_unknown_threshold_is_a_warning(check):
    pack, findings = check(programme=PROGRAMME_YAML + "  colour_days: 3\n")
    assert pack is not None
    assert_finding(findings[0], file="programme.yaml", line=8, column="thresholds.colour_days", severity=WARNING)


# --- every finding, not just the first -----------------------------------------------------------


def test_all_findings_are_collected(check):
    pack, findings = check(
        cells={
            ("costs", 0, "amount_gbp_m"): "9.8m",
            ("bodies", 1, "customers"): "-5",
            ("recommendations", 1, "source_date"): "01/13/2014",
        },
        programme=PROGRAMME_YAML.replace("programme_id: ngss", "programme_id: ../x"),
    )
    assert pack is None
    assert [(f.file, f.line, f.column) for f in errors_of(findings)] == [
        ("bodies.csv", 3, "customers"),
        ("costs.csv", 2, "amount_gbp_m"),
        ("programme.yaml", 1, "programme_id"),
        ("recommendations.csv", 3, "source_date"),
    ]


def test_several_errors_in_one_file_and_row(check):
    pack, findings = check(
        cells={("costs", 0, "cost_type"): "x", ("costs", 0, "status"): "y", ("costs", 2, "period_id"): "P9"}
    )
    assert [(f.line, f.column, f.value) for f in errors_of(findings)] == [
        (2, "cost_type", "x"),
        (2, "status", "y"),
        (4, "period_id", "P9"),
    ]


def test_missing_file_and_cell_errors_together(check):
    pack, findings = check(drop_files={"savings"}, cells={("kpis", 0, "unit"): "pounds"})
    assert [(f.file, f.line) for f in errors_of(findings)] == [("kpis.csv", 2), ("savings.csv", None)]
