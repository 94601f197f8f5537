"""The report's charts as SVG (issue 10, item 10): vector, byte-identical on a rerun, legends never
over data, and each chart's data table built from its registered points.

Every chart is drawn from the bundled pack's real series (the measures' own functions) at its
latest period, its points registered as the sections do (``register.charts``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from audit_pipeline.measures import finance, onboarding, service
from audit_pipeline.measures import periods as P
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.report import chart_tables, charts, display
from audit_pipeline.report.register import Register, plain
from audit_pipeline.report.register import charts as chart_data

DATA = Path(__file__).resolve().parent.parent / "data" / "ngss"
PERIOD = "2015-16-Q4"


@pytest.fixture(scope="module")
def pack():
    return load_pack_cached(DATA)


def _draw(pack, name: str):
    """One chart of the report as its section draws it: series, registered points, chart."""
    t = pack.tables
    period = P.period_of(t["periods"], PERIOD)
    upto = [p for p in P.all_periods(t["periods"]) if p.start <= period.start]
    reg = Register(pack, period)
    if name == "costs":
        series = finance.cost_series(t["costs"], t["periods"], period)
        chart_data.costs(reg, series)
        estimate = finance.find_estimate(finance.estimates_in_force(t["estimates"], period.end), "implementation_cost")
        return charts.cumulative_costs(series, estimate), reg
    if name == "savings":
        series = finance.savings_series(t["savings"], t["periods"], period)
        chart_data.savings(reg, series)
        return charts.savings_by_attribution(series), reg
    if name == "onboarding":
        series = onboarding.onboarding_series(t["bodies"], upto)
        chart_data.onboarding(reg, series)
        return charts.onboarding_progress(series), reg
    if name == "service":
        rows = [
            {"label": p.label, "centre_id": centre, **figures}
            for p in upto
            for centre, figures in service.service_figures(pack.transactions, p).items()
        ]
        series = pd.DataFrame(rows)
        chart_data.service(reg, series)
        return charts.service_within_sla(series), reg
    series = chart_data.recommendations(reg, upto)
    return charts.recommendation_status(series), reg


CHARTS = ["costs", "savings", "onboarding", "service", "recommendations"]


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_is_svg_and_byte_identical_when_drawn_again(pack, name):
    first = display.svg_bytes(_draw(pack, name)[0][0])
    again = display.svg_bytes(_draw(pack, name)[0][0])
    assert first.startswith(b"<?xml") and b"<svg" in first[:600]
    assert first == again
    text = first.decode("utf-8")
    assert "<dc:date>" not in text and "Matplotlib v" not in text  # no time, no software version
    assert "<text" not in text  # text drawn as paths: the numbers are read from the alt text and the table


@pytest.mark.parametrize("name", CHARTS)
def test_the_legend_lies_outside_the_plot_area(pack, name):
    (figure, _), _ = _draw(pack, name)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    assert ax.get_legend() is None, "a legend inside the axes"
    assert len(figure.legends) == 1
    legend = figure.legends[0].get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert legend.y1 <= plot.y0 or legend.x0 >= plot.x1, f"legend {legend} overlaps the plot area {plot}"
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    if name == "costs":  # the hatched band of departmental costs not collated and the "at least" ring
        assert any("not collated (unknown, not zero)" in label for label in labels)
        assert "At least (returns not collated)" in labels


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_carries_its_data_table_of_registered_figures(pack, name):
    (figure, alt), reg = _draw(pack, name)
    chart = _draw(pack, name)[0]
    table = chart.table
    assert table is not None and list(table["columns"])[0] == "label"
    periods = [row["label"] for row in table["rows"]]
    assert periods[-1] == "2015-16 Q4" and len(periods) == len(set(periods))
    displays = {d for entry in reg.entries.values() for d in entry["displays"]}
    for row in table["rows"]:
        for key in table["numeric"]:
            cell = plain(row[key]).removeprefix("at least ")
            assert cell in displays or cell == chart_data.NO_TRANSACTIONS, (name, row["label"], cell)
    html = display.figure_html(figure, alt, "A caption", table=table)
    assert '<img src="data:image/svg+xml;base64,' in html
    assert '<details class="chart-data"><summary>Data for this chart</summary>' in html
    assert len(re.findall(r"<tr>", html)) == len(table["rows"]) + 1


def test_costs_table_says_not_collated_and_at_least(pack):
    (figure, alt), _ = _draw(pack, "costs")
    rows = {row["label"]: {k: plain(v) for k, v in row.items()} for row in _draw(pack, "costs")[0].table["rows"]}
    assert rows["2013-14 Q4"]["departmental_implementation"] == "not collated"  # no return collated: never 0
    assert rows["2015-16 Q4"]["departmental_implementation"] == "at least 66.4"  # some not collated
    assert rows["2015-16 Q4"]["central_programme"] == "27.6"


def test_the_print_appendix_holds_every_charts_table_before_the_register():
    tables = [f'<table class="report-table"><caption>Data for the chart: {n}</caption></table>' for n in "ab"]
    page = (
        "<main>"
        + "".join(f'<details class="chart-data"><summary>Data for this chart</summary>{t}</details>' for t in tables)
        + '<section class="report-section register" id="figure-register"><h2>Figure register</h2></section></main>'
    )
    done = chart_tables.with_appendix(page)
    appendix = done.index('id="chart-data"')
    assert appendix < done.index('id="figure-register"')
    assert [done.index(t, appendix) for t in tables] == sorted(done.index(t, appendix) for t in tables)
    assert chart_tables.with_appendix("<main><p>No chart.</p></main>") == "<main><p>No chart.</p></main>"
