"""The data points of the report's charts as register entries: ``chart.<chart>.<series>.<point>``.

A chart shows numbers (a line's points, a bar's height) that a reader may ask about as much as
any table cell. Each function here registers every point of one chart's data table, with the rows
it was computed from and how the figure-check re-derives it; the point is the period id (and, for
the service chart, the centre is the series).

Each function also leaves the chart's data table on the series it was given (``series.attrs[TABLE]``,
see ``data_table``): one row per period, one column per series, each cell the registered display of
that point (marked, so the table's numbers are the register's). ``charts`` hands it on with the
chart, and ``display.figure`` shows it under the chart ("Data for this chart") and in the PDF's
"Chart data" appendix.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import recommendations as R
from audit_pipeline.measures.periods import all_periods, ids_up_to
from audit_pipeline.report import fmt
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register.collation import display_of

M = "audit_pipeline.measures."
NO_TRANSACTIONS = "no transactions"  # a service chart cell with no transaction received (not 0%)
TABLE = "audit_pipeline/chart_table"
# the recommendations chart's statuses, bottom of the stack first (its legend and data table in this order)
STATUS_ORDER = (
    "implemented",
    "in_progress",
    "not_started",
    "not_implemented",
    "superseded",
)  # the key of a chart's data table in its series' ``attrs``


def data_table(series: pd.DataFrame, columns: dict[str, str], rows: list[dict]) -> dict:
    """A chart's data table, kept on ``series.attrs[TABLE]``: ``columns`` (key -> header, the first the
    period), ``rows`` (key -> the cell's marked display) and which columns hold numbers."""
    table = {"columns": dict(columns), "rows": rows, "numeric": list(columns)[1:]}
    series.attrs[TABLE] = table
    return table


def _money_cell(reg, figure_id: str, value, shown: str) -> str:
    """A chart point again in a table cell under a "£ million" header: ``7.5`` (``not collated`` as it is)."""
    return reg.again(figure_id, shown if shown == fmt.NOT_COLLATED else fmt.money_cell(value))


def _periods(reg) -> dict:
    """Every ``Period`` of the pack by its id (once per register)."""
    return reg.memo("periods", lambda: {p.period_id: p for p in all_periods(reg.pack.tables["periods"])})


def point_id(chart: str, series: str, point: str) -> str:
    """The register id of one data point of a chart."""
    return f"chart.{chart}.{series}.{point}"


def costs(reg, series: pd.DataFrame) -> None:
    """Implementation costs chart: cumulative actual costs by type at each period."""
    t = reg.pack.tables
    frame, periods = t["costs"], t["periods"]
    actual = frame["status"] == "actual"
    rows = []
    for _, row in series.iterrows():
        pid = row["period_id"]
        upto = frame["period_id"].isin(ids_up_to(periods, _periods(reg)[pid]))
        rows.append({"label": row["label"]})
        for kind in ("central_programme", "departmental_implementation"):
            value = row[f"{kind}_cumulative"]
            shown, complete = display_of(
                value, row[f"{kind}_actual_rows_to_date"], row[f"{kind}_not_collated_to_date"], fmt.money
            )
            this = frame["cost_type"] == kind
            missing = upto & (frame["status"] == "not_collated") & this
            reg.add(
                point_id("costs", kind, pid),
                value,
                shown,
                label=f"Chart: {kind.replace('_', ' ')} costs to {row['label']} (actual)",
                unit="gbp_m",
                definition=f"Sum of amount_gbp_m over costs rows with cost_type {kind}, status actual, period up to this one; "
                "not drawn (a gap) when none was collated.",
                inputs=[reg.rows("costs", upto & actual & this, f"period up to {pid}, {kind}")]
                + ([reg.rows("costs", missing, f"period up to {pid}, {kind}, not_collated")] if not complete else []),
                function=M + "finance.cost_series",
                complete=complete,
                check={"op": "sum", "column": "amount_gbp_m"},
            )
            rows[-1][kind] = _money_cell(reg, point_id("costs", kind, pid), value, shown)
    data_table(
        series,
        {
            "label": "Period",
            "central_programme": "Central programme to date (£ million)",
            "departmental_implementation": "Departmental to date, collated (£ million)",
        },
        rows,
    )


def savings(reg, series: pd.DataFrame) -> None:
    """Savings chart: actual savings of each period by attribution."""
    frame = reg.pack.tables["savings"]
    actual = frame["status"] == "actual"
    rows = []
    for _, row in series.iterrows():
        pid = row["period_id"]
        here = actual & (frame["period_id"] == pid)
        rows.append({"label": row["label"]})
        for kind in ("shared_services", "reduced_activity", "unattributed"):
            shown, complete = display_of(row[kind], row[f"{kind}_actual_rows"], row[f"{kind}_not_collated"], fmt.money)
            this = (frame["period_id"] == pid) & (frame["attribution"] == kind)
            reg.add(
                point_id("savings", kind, pid),
                row[kind],
                shown,
                label=f"Chart: {kind.replace('_', ' ')} savings in {row['label']} (actual)",
                unit="gbp_m",
                definition=f"Sum of amount_gbp_m over savings rows with attribution {kind}, status actual, in the period; "
                "not drawn (a gap) when none was collated.",
                inputs=[reg.rows("savings", here & (frame["attribution"] == kind), f"period {pid}, {kind}, actual")]
                + (
                    [
                        reg.rows(
                            "savings", this & (frame["status"] == "not_collated"), f"period {pid}, {kind}, not_collated"
                        )
                    ]
                    if not complete
                    else []
                ),
                function=M + "finance.savings_series",
                complete=complete,
                check={"op": "sum", "column": "amount_gbp_m"},
            )
            rows[-1][kind] = _money_cell(reg, point_id("savings", kind, pid), row[kind], shown)
    data_table(
        series,
        {
            "label": "Period",
            "shared_services": "Shared services (£ million)",
            "reduced_activity": "Reduced activity (£ million)",
            "unattributed": "Unattributed (£ million)",
        },
        rows,
    )


def onboarding(reg, series: pd.DataFrame) -> None:
    """Onboarding chart: bodies planned and onboarded by each period's end."""
    bodies = reg.pack.tables["bodies"]
    rows = []
    for _, row in series.iterrows():
        end = row["end_date"]
        rows.append({"label": row["label"]})
        masks = {  # as measures.onboarding.onboarding_state: onboarded = actual_onboard_date on or before End
            "planned": (bodies["planned_onboard_date"] <= end, "planned_onboard_date on or before"),
            "onboarded": (bodies["actual_onboard_date"] <= end, "actual_onboard_date on or before"),
        }
        for name, (mask, words) in masks.items():
            rows[-1][name] = reg.add(
                point_id("onboarding", name, row["period_id"]),
                int(row[name]),
                fmt.count(row[name]),
                label=f"Chart: bodies {name} by the end of {row['label']}",
                unit="bodies",
                definition=f"Bodies with {words.split(' on ')[0]} on or before the period's end.",
                inputs=[reg.rows("bodies", mask, f"{words} {fmt.date(end)}")],
                function=M + "onboarding.onboarding_series",
                check={"op": "count"},
            )
    data_table(series, {"label": "Period", "planned": "Planned by the period end", "onboarded": "Onboarded"}, rows)


def service(reg, series: pd.DataFrame) -> None:
    """Service chart: the share completed within SLA for each centre and period (from transactions)."""
    periods = reg.pack.tables["periods"]
    by_label = {str(label): pid for pid, label in zip(periods["period_id"], periods["label"], strict=True)}
    centres = sorted(series["centre_id"].unique())
    cells: dict[str, dict] = {str(label): {"label": label} for label in dict.fromkeys(series["label"])}
    for _, row in series.iterrows():
        if row["within_sla_share"] is None or pd.isna(row["within_sla_share"]):
            continue
        period = _periods(reg)[by_label[str(row["label"])]]
        start, end = period.start.date().isoformat(), period.end.date().isoformat()
        centre = row["centre_id"]
        cells[str(row["label"])][centre] = reg.add(
            point_id("service", centre, period.period_id),
            row["within_sla_share"],
            fmt.share(row["within_sla_share"]),
            label=f"Chart: share completed within SLA, {centre}, {row['label']}",
            unit="share",
            definition=(
                "Transactions received within the period completed with (completed - received) in days <= sla_days, "
                "divided by the period's volume, rounded to 4 places."
            ),
            inputs=[
                reg.transactions_input(
                    f"centre_id {centre}, received_date {start} to {end}",
                    int(row["volume"]),
                    {"centre_id": centre, "start": start, "end": end},
                )
            ],
            function=M + "service.service_figures",
            check={"op": "tx_within_sla_share"},
        )
    rows = [{c: row.get(c, NO_TRANSACTIONS) for c in ["label", *centres]} for row in cells.values()]
    names = reg.pack.tables["centres"].set_index("centre_id")["name"].to_dict()
    headers = {c: f"{names.get(c, c)}: share within SLA" for c in centres}  # names, never ids
    data_table(series, {"label": "Period", **headers}, rows)


def recommendations(reg, upto: list) -> pd.DataFrame:
    """Recommendations chart: recommendations in scope by assessed status at each period's end.

    Returns the chart's data, the frame of ``measures.recommendations.status_series`` (built here
    from the same trackers, computed once per register, so they are not computed twice).
    """
    recs = reg.pack.tables["recommendations"]
    rows, table = [], []
    for period in upto:
        track = K.period_tracker(reg, period)
        row = {"period_id": period.period_id, "label": period.label}
        cells = {"label": period.label}
        for status in R.REC_STATUSES:
            ids = set(track.loc[track["status"] == status, "rec_id"])
            row[status] = int((track["status"] == status).sum())
            cells[status] = reg.add(
                point_id("recommendations", status, period.period_id),
                row[status],
                fmt.count(row[status]),
                label=f"Chart: recommendations {status.replace('_', ' ')} at {period.label}",
                unit="recommendations",
                definition="Recommendations made by the period's end whose status at that period is this status.",
                inputs=[
                    reg.rows("recommendations", recs["rec_id"].isin(ids), f"status {status} at {period.period_id}")
                ],
                function=M + "recommendations.status_series",
                check={"op": "count"},
            )
        rows.append(row)
        table.append(cells)
    series = pd.DataFrame(rows)
    assert set(STATUS_ORDER) == set(R.REC_STATUSES), "a status the chart does not draw"
    data_table(series, {"label": "Period", **{status: fmt.words(status) for status in STATUS_ORDER}}, table)
    return series
