"""The figure register (issue 9, items 1-3): entries, marks and links, merging, figures.xlsx."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from audit_pipeline.report.context import load_context
from audit_pipeline.report.register import METADATA_KEY, Register, linkify, mark, plain
from audit_pipeline.report.register.collect import RegisterConflict, appendix_rows, line_ranges, merge
from audit_pipeline.report.sections import costs, summary
from audit_pipeline.run.figures import workbook_bytes
from audit_pipeline.settings import DEFAULT_DATA

PERIOD = "2013-14-Q4"
HOSTILE = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=tab", "\r=cr", '=HYPERLINK("http://x")']


@pytest.fixture(scope="module")
def ctx():
    return load_context(DEFAULT_DATA, PERIOD)


def _metadata(output) -> list[dict]:
    data = output._repr_html_()
    assert isinstance(data, tuple), "the output carries no metadata"
    return data[1][METADATA_KEY]


def test_marks_become_links_in_prose_and_vanish_elsewhere():
    text = f"Costs were {mark('costs.total_to_date', '£9.8 million')}."
    assert plain(text) == "Costs were £9.8 million."
    assert linkify(text) == 'Costs were <a class="figure-ref" href="#fig-costs.total_to_date">£9.8 million</a>.'


def test_a_section_output_carries_the_figures_it_showed(ctx):
    entries = {e["id"]: e for e in _metadata(costs.cost_text(ctx))}
    central = entries["costs.central_programme_to_date"]
    assert central["value"] == ctx.figures["costs"]["central_programme_to_date_gbp_m"]
    assert central["display"] == "£9.8 million" and central["unit"] == "gbp_m"
    assert central["definition"].startswith("Sum of amount_gbp_m over costs rows with cost_type central_programme")
    assert central["function"] == "audit_pipeline.measures.finance.cost_figures"
    # The lines, worked by hand from costs.csv: central programme, actual, period up to 2013-14-Q4.
    up_to = {"2012-13-Q4", "2013-14-Q1", "2013-14-Q2", "2013-14-Q3", "2013-14-Q4"}
    text = (DEFAULT_DATA / "costs.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    lines = []
    for line, row in enumerate(reader, start=2):
        if row["cost_type"] == "central_programme" and row["status"] == "actual" and row["period_id"] in up_to:
            lines.append(line)
    (used,) = central["inputs"]
    assert used["file"] == "costs.csv" and used["lines"] == lines and used["rows"] == len(lines)
    assert used["sources"] == ["Cabinet Office programme accounts"]
    assert sum(1 for _ in used["lines"]) == 5


def test_an_incomplete_total_is_at_least(ctx):
    entries = {e["id"]: e for e in _metadata(summary.headlines(ctx))}
    total = entries["costs.total_to_date"]
    assert total["complete"] is False  # departmental returns not collated at 2013-14 Q4
    row = next(r for r in appendix_rows([total]) if r["id"] == "costs.total_to_date")
    assert row["display"].startswith("at least ")
    assert "costs.csv lines" in row["inputs"]


def test_the_same_id_with_two_values_is_refused(ctx):
    register = Register(ctx.pack, ctx.period)
    register.add("x.y", 1, "1", label="x", unit="rows", definition="d")
    with pytest.raises(ValueError, match="x.y"):
        register.add("x.y", 2, "2", label="x", unit="rows", definition="d")
    with pytest.raises(RegisterConflict):
        merge([{"id": "a", "value": 1, "display": "1"}, {"id": "a", "value": 2, "display": "2"}])
    merged = merge([{"id": "a", "value": 1, "display": "1"}, {"id": "a", "value": 1, "display": "1.0"}])
    assert merged[0]["displays"] == ["1", "1.0"]


def test_line_ranges():
    assert line_ranges([9, 2, 5, 6, 7]) == "2, 5-7, 9"


def _document(ctx):
    register = Register(ctx.pack, ctx.period)
    costs_table = ctx.tables["costs"]
    for index, text in enumerate(HOSTILE):
        register.add(
            f"hostile.{index}",
            index,
            text,
            label=text,
            unit="rows",
            definition=text,
            inputs=[register.rows("costs", costs_table["_line"] == int(costs_table["_line"].iloc[index]), text)],
            function=text,
        )
    return {"programme_id": "ngss", "period_id": PERIOD, "figures": list(register.entries.values())}


def test_figures_xlsx_has_no_formula_and_keeps_text_as_text(ctx, monkeypatch):
    document = _document(ctx)
    hostile_costs = ctx.tables["costs"].copy()
    hostile_costs["source"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(hostile_costs))]
    monkeypatch.setitem(ctx.raw_pack.tables, "costs", hostile_costs)  # under the recording view
    book = load_workbook(io.BytesIO(workbook_bytes(ctx.pack, document)))
    assert book.sheetnames == ["Figures", "costs"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    figures = book["Figures"]
    header = [c.value for c in figures[1]]
    assert header[:5] == ["id", "label", "value", "unit", "display"]
    labels = [figures.cell(row=r, column=2).value for r in range(2, 2 + len(HOSTILE))]
    # Text stays text. A lone CR reads back as LF with the standard library's XML parser and
    # as CR with lxml (which openpyxl uses when installed): either way it is never a formula.
    assert [label.replace("\r", "\n") for label in labels] == [h.replace("\r", "\n") for h in HOSTILE]
    rows = book["costs"]
    columns = [c.value for c in rows[1]]
    assert columns[0] == "line" and columns[-1] == "figures"
    sources = [rows.cell(row=r, column=columns.index("source") + 1).value for r in range(2, rows.max_row + 1)]
    assert {s.replace("\r", "\n") for s in sources} <= {h.replace("\r", "\n") for h in HOSTILE}
    ids = [rows.cell(row=r, column=len(columns)).value for r in range(2, rows.max_row + 1)]
    assert ids == [f"hostile.{i}" for i in range(len(HOSTILE))]


def test_figures_xlsx_is_byte_identical_on_rerun(ctx):
    document = _document(ctx)
    first = workbook_bytes(ctx.pack, document)
    time.sleep(1.1)
    assert workbook_bytes(ctx.pack, document) == first


def test_chart_data_points_are_registered_with_their_rows(ctx):
    from audit_pipeline.measures import periods as P
    from audit_pipeline.measures import recommendations as R
    from audit_pipeline.report.register import Register
    from audit_pipeline.report.register import charts as chart_data
    from audit_pipeline.report.sections import recommendations

    entries = {e["id"]: e for e in _metadata(costs.cost_chart(ctx))}
    point = entries["chart.costs.central_programme.2013-14-Q4"]
    assert point["value"] == ctx.figures["costs"]["central_programme_to_date_gbp_m"]
    assert point["inputs"][0]["lines"] == entries["costs.central_programme_to_date"]["inputs"][0]["lines"]
    ids = {e["id"] for e in _metadata(recommendations.recommendation_chart(ctx))}
    assert "chart.recommendations.implemented.2013-14-Q4" in ids
    # The chart's data built with the register is the measure's own series.
    t = ctx.tables
    upto = [p for p in P.all_periods(t["periods"]) if p.start <= ctx.period.start]
    expected = R.status_series(t["recommendations"], t["recommendation_status"], t["periods"], upto)
    built = chart_data.recommendations(Register(ctx.pack, ctx.period), upto)
    assert built.to_dict("records") == expected.to_dict("records")
