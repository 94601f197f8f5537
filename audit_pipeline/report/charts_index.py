"""Trend charts for the programme index (``run/index.py``): the headline figures across published periods.

Each chart is SVG with a text alternative built from the data and its data table in a closed
``<details>`` ("Data for this chart"), like the report's charts (``charts``, ``display``). The
figures come from each period's metrics.json, shown as its register shows them (figures.json):
a total that misses a return is ringed on the chart and "at least" in the table and the alt text;
a total with no collated return is a gap, "not collated", never zero.

A point is a dict (oldest period first): ``label``; per figure ``value`` (a number, ``None`` when
not collated) and ``text`` (the display); ``complete`` for the money figures.
"""

from __future__ import annotations

import math

import matplotlib

from audit_pipeline.report import display, fmt
from audit_pipeline.report.charts import _axes, _legend, _lines, ring_at_least
from audit_pipeline.report.register.collation import periods_text

SIZE = (6.4, 3.9)  # inches: two charts side by side on a wide screen, one a row on a narrow one


def _money(points: list[dict], key: str) -> list[float]:
    return [math.nan if p[key]["value"] is None else p[key]["value"] for p in points]


def _ring(ax, points: list[dict], keys: list[str]) -> None:
    """A ring round each money point that is at least what it shows (a return not collated)."""
    xs, ys = [], []
    for key in keys:
        for i, p in enumerate(points):
            if p[key]["value"] is not None and not p[key]["complete"]:
                xs.append(i)
                ys.append(p[key]["value"])
    if xs:
        ring_at_least(ax, xs, ys)
        _legend(ax)


def _chart(points: list[dict], title: str, ylabel: str, series: dict[str, str], integer: bool = False):
    """A line chart of ``series`` (point key -> legend name) across the points' periods."""
    fig, ax = _axes(title, ylabel)
    fig.set_size_inches(*SIZE)
    labels = [p["label"] for p in points]
    _lines(ax, labels, {name: _money(points, key) for key, name in series.items()})
    if integer:
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(bottom=0)  # from zero: a change is never exaggerated
    return fig, ax


def _table(points: list[dict], series: dict[str, str]) -> dict:
    """The chart's data table (``display.chart_data_html``): the figures as the index shows them."""
    columns = {"label": "Period", **series}
    rows = [{"label": p["label"], **{key: p[key]["text"] for key in series}} for p in points]
    return {"columns": columns, "rows": rows, "numeric": list(series)}


def _alt(kind: str, points: list[dict], series: dict[str, str], note: str = "") -> str:
    first, last = points[0], points[-1]
    latest = "; ".join(f"{name}: {last[key]['text']}" for key, name in series.items())
    return (
        f"{kind} from {fmt.isolate(first['label'])} to {fmt.isolate(last['label'])}, one point per published period. "
        f"At {fmt.isolate(last['label'])}: {latest}." + (f" {note}" if note else "")
    )


def _html(chart: tuple, caption: str, table: dict, note: str = "") -> str:
    figure, alt = chart
    return display.figure_html(figure, alt, caption, note) + display.chart_data_html(table, caption, appendix=False)


def money_chart(points: list[dict]) -> str:
    """Implementation costs and programme savings to date, with "at least" points ringed."""
    series = {"costs": "Implementation costs to date", "savings": "Programme savings to date"}
    fig, ax = _chart(points, "Costs and programme savings to date", "£ million", series)
    _ring(ax, points, list(series))
    parts = []
    for key, name in series.items():
        partial = [
            fmt.isolate(p["label"]) if p[key]["value"] is not None and not p[key]["complete"] else None for p in points
        ]
        gaps = [fmt.isolate(p["label"]) if p[key]["value"] is None else None for p in points]
        if any(partial):
            parts.append(
                f"{name} are at least the amount drawn (ringed) for {periods_text(partial)}: returns not collated."
            )
        if any(gaps):
            parts.append(f"{name} are not drawn for {periods_text(gaps)}: none was collated (not known, not zero).")
    note = " ".join(parts)
    alt = _alt("Line chart of implementation costs and programme savings to date", points, series, note)
    return _html(
        (fig, alt), "Implementation costs and programme savings to date, by period", _table(points, series), note
    )


def customers_chart(points: list[dict]) -> str:
    """Customers served by the shared service centres at each period end."""
    series = {"customers": "Customers served"}
    fig, _ = _chart(points, "Customers served at the period end", "Customers", series, integer=True)
    alt = _alt("Line chart of customers served", points, series)
    return _html((fig, alt), "Customers served, by period", _table(points, series))


def recommendations_chart(points: list[dict]) -> str:
    """Recommendations implemented against those in force (made, not superseded) at each period end."""
    series = {"implemented": "Implemented", "tracked": "In force"}
    fig, _ = _chart(points, "Recommendations implemented and in force", "Recommendations", series, integer=True)
    alt = _alt("Line chart of recommendations implemented and in force", points, series)
    return _html((fig, alt), "Recommendations implemented and in force, by period", _table(points, series))


def trend_charts(points: list[dict]) -> list[str]:
    """The index's trend charts as HTML (none for fewer than two periods: a trend needs two points)."""
    if len(points) < 2:
        return []
    return [money_chart(points), customers_chart(points), recommendations_chart(points)]
