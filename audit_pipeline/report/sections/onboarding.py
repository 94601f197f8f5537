"""Section 03, notebooks/03_onboarding: bodies onboarded against plan, and the standard operating model."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import onboarding
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.sections.common import centre_names


def onboarding_text(ctx: Context) -> HTML:
    """Bodies onboarded and overdue at the period end, and the slippage thresholds."""
    ob = ctx.figures["onboarding"]
    th = ctx.thresholds
    return display.paragraphs(
        [
            f"{ob['onboarded']} of {fmt.count(ob['bodies'], 'body', 'bodies')} had been onboarded by {fmt.date(ctx.period.end)}, serving {fmt.count(ob['customers_served'])} customers.",
            f"{fmt.count(ob['overdue'], 'body was', 'bodies were')} overdue: planned to be onboarded by the period end but not yet onboarded.",
            f"Slippage ratings below are derived by this pipeline and apply to onboarded bodies only: on time, within tolerance, "
            f"late by {th['onboarding_slip_days_amber']} days or more (amber) or {th['onboarding_slip_days_red']} days or more (red). "
            "A body not onboarded by its planned date is shown as overdue, with the days since that date.",
        ]
    )


def onboarding_chart(ctx: Context) -> HTML:
    """Bodies onboarded against plan, period by period (chart)."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    upto = [p for p in P.all_periods(ctx.tables["periods"]) if p.start <= ctx.period.start]
    series = onboarding.onboarding_series(ctx.tables["bodies"], upto)
    if series.empty or not (series["planned"].sum() or series["onboarded"].sum()):
        return display.paragraphs(
            [
                f"No body was planned to be onboarded, or onboarded, by {fmt.date(ctx.period.end)}, "
                "so there is no chart of onboarding against plan."
            ]
        )
    return display.figure(charts.onboarding_progress(series), "Bodies onboarded against plan")


def onboarding_body_table(ctx: Context) -> HTML:
    """Each body's planned and actual onboarding, slippage and derived rating."""
    table = onboarding.onboarding_table(ctx.tables["bodies"], ctx.period, ctx.thresholds)
    table["rating_words"] = [
        onboarding.rating_words(r, d) for r, d in zip(table["rating"], table["slip_days"], strict=True)
    ]
    table["centre"] = table["centre_id"].map(centre_names(ctx)).astype(object).fillna("Not yet assigned")
    table["slip"] = table["slip_days"].map(lambda d: "" if pd.isna(d) else f"{int(d):,}")
    table["actual"] = [
        fmt.date(a) if o else "Not yet onboarded"
        for a, o in zip(table["actual_onboard_date"], table["onboarded"], strict=True)
    ]
    return display.table(
        table,
        "Onboarding by body: plan, actual and slippage in days at the period end (derived rating in words)",
        {
            "name": "Body",
            "centre": "Centre",
            "planned_onboard_date": "Planned",
            "actual": "Actual",
            "slip": "Slip (days)",
            "rating_words": "Rating (derived)",
            "customers": "Customers",
        },
        numeric=["slip", "customers"],
    )


def som_table(ctx: Context) -> HTML:
    """Adoption of the standard operating model, with variations."""
    table = onboarding.som_table(ctx.tables["bodies"], ctx.period)
    table["status"] = table["som_status"].map(fmt.words)
    table.loc[table["som_status"] == "not_onboarded", "status"] = "Not yet onboarded (no status yet)"
    return display.table(
        table,
        f"Adoption of the standard operating model by bodies onboarded by {fmt.date(ctx.period.end)}",
        {"status": "Standard operating model", "bodies": "Bodies", "variations": "Variations"},
        formats={"variations": lambda v: "Not applicable" if pd.isna(v) else fmt.count(v)},
        numeric=["bodies", "variations"],
    )
