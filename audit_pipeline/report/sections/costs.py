"""Section 02, notebooks/02_costs_savings: implementation costs, estimates and savings by attribution."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context


def _any_amount(series: pd.DataFrame, columns: list[str]) -> bool:
    """Whether a period series holds any amount other than zero (else a chart would be empty)."""
    return bool(len(series)) and bool(series[columns].abs().to_numpy().sum() > 0)


def cost_chart(ctx: Context) -> HTML:
    """Cumulative implementation costs against the estimate range (chart)."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period)
    if not _any_amount(series, ["central_programme", "departmental_implementation"]):
        return display.paragraphs(
            [
                f"No actual implementation costs are recorded up to {fmt.isolate(ctx.period.label)}, so there is no chart of them."
            ]
        )
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    return display.figure(
        charts.cumulative_costs(series, finance.find_estimate(now, "implementation_cost")),
        "Implementation costs to date against the estimate range",
    )


def cost_table(ctx: Context) -> HTML:
    """Actual implementation costs by period; returns not collated are counted, never added as zero."""
    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period)
    money = fmt.money_cell
    return display.table(
        series,
        "Actual implementation costs by period (£ million); not-collated returns counted, not added",
        {
            "label": "Period",
            "central_programme": "Central programme (£ million)",
            "departmental_implementation": "Departmental, collated (£ million)",
            "central_programme_cumulative": "Central to date (£ million)",
            "not_collated_rows": "Returns not collated",
        },
        formats={
            "central_programme": money,
            "departmental_implementation": money,
            "central_programme_cumulative": money,
        },
        numeric=[
            "central_programme",
            "departmental_implementation",
            "central_programme_cumulative",
            "not_collated_rows",
        ],
    )


def _departmental_sentence(c: dict) -> str:
    """Departmental costs collated to date, or that none have been collated."""
    missing = c["departmental_not_collated_bodies"]
    if missing and not c["departmental_to_date_gbp_m"]:
        return f"No departmental implementation costs have been collated: {fmt.count(missing, 'body has', 'bodies have')} not reported them."
    return f"Departmental implementation costs collated to date are {fmt.at_least(c['departmental_to_date_gbp_m'], missing)}."


def cost_text(ctx: Context) -> HTML:
    """Central, departmental and forecast costs in a few sentences."""
    c = ctx.figures["costs"]
    sentences = [
        f"Central programme spending to date is {fmt.money(c['central_programme_to_date_gbp_m'])}.",
        _departmental_sentence(c),
        f"Forecast costs for later periods: {fmt.money(c['forecast_gbp_m'])} (forecasts never enter totals to date)."
        if c["forecast_gbp_m"]
        else "The pack holds no forecast costs for later periods.",
    ]
    return display.paragraphs(sentences)


def estimates_table(ctx: Context) -> HTML:
    """The estimates in force at the period end, and how each changed since the previous period."""
    table = finance.estimate_changes(ctx.tables["estimates"], ctx.period, ctx.previous)
    table["range"] = [fmt.money_range(lo, hi) for lo, hi in zip(table["low_gbp_m"], table["high_gbp_m"], strict=True)]
    table["previous"] = [
        "First estimate" if pd.isna(lo) else fmt.money_range(lo, hi)
        for lo, hi in zip(table["low_gbp_m_previous"], table["high_gbp_m_previous"], strict=True)
    ]
    table["change"] = table["changed"].map({True: "Revised this period", False: "Unchanged"})
    table["measure_words"] = table["measure"].map(fmt.words)
    columns = {
        "measure_words": "Measure",
        "scope": "Scope",
        "range": "Estimate",
        "horizon": "Horizon",
        "as_at": "Made on",
        "previous": "Previous period",
        "change": "Change",
    }
    if table["horizon"].isna().all():
        del columns["horizon"]
    return display.table(table, "Estimates in force at the end of the period, and how they changed", columns)


def savings_chart(ctx: Context) -> HTML:
    """Savings by attribution over time (chart): programme savings apart from reduced activity."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = finance.savings_series(ctx.tables["savings"], ctx.tables["periods"], ctx.period)
    if not _any_amount(series, ["shared_services", "reduced_activity", "unattributed"]):
        return display.paragraphs(
            [f"No actual savings are recorded up to {fmt.isolate(ctx.period.label)}, so there is no chart of them."]
        )
    return display.figure(
        charts.savings_by_attribution(series),
        "Savings by attribution: programme savings shown apart from reduced activity",
    )


def savings_table(ctx: Context) -> HTML:
    """Savings to date by attribution, and how each is treated."""
    s = ctx.figures["savings"]
    rows = pd.DataFrame(
        [
            ("Shared services (programme savings)", s["shared_services_to_date_gbp_m"], "Counted as programme savings"),
            (
                "Reduced activity",
                s["reduced_activity_to_date_gbp_m"],
                "Not programme savings: lower spending, not shared services",
            ),
            ("Unattributed", s["unattributed_to_date_gbp_m"], "Not programme savings until attributed"),
        ],
        columns=["attribution", "amount", "treatment"],
    )
    return display.table(
        rows,
        f"Actual savings to date by attribution (£ million); {s['not_collated_rows']} savings returns not collated",
        {"attribution": "Attribution", "amount": "To date (£ million)", "treatment": "Treatment"},
        formats={"amount": fmt.money_cell},
        numeric=["amount"],
    )
