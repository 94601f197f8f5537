"""Section 03, notebooks/03_onboarding: bodies onboarded against plan, and the standard operating model."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import onboarding
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt, form
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import charts as chart_data
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import centre_names

SOURCE = "the programme's data pack, table bodies (plans, onboarding dates and status reported by the programme)."


@section
def onboarding_text(ctx: Context) -> HTML:
    """Bodies onboarded and overdue at the period end, and the slippage thresholds."""
    ob = ctx.figures["onboarding"]
    key = lambda path: K.key(ctx.register, ctx.figures, path)  # noqa: E731
    amber = K.threshold(ctx.register, "onboarding_slip_days_amber")
    red = K.threshold(ctx.register, "onboarding_slip_days_red")
    return display.paragraphs(
        [
            f"{key('onboarding.onboarded')} of {K.noun(key('onboarding.bodies'), ob['bodies'], 'body', 'bodies')} had been onboarded by {fmt.date(ctx.period.end)}, serving {key('onboarding.customers_served')} customers.",
            f"{K.noun(key('onboarding.overdue'), ob['overdue'], 'body was', 'bodies were')} overdue: planned to be onboarded by the period end but not yet onboarded.",
            f"Slippage ratings below are derived by this pipeline and apply to onboarded bodies only: on time, within tolerance, "
            f"late by {amber} days or more (amber) or {red} days or more (red). "
            "A body not onboarded by its planned date is shown as overdue, with the days since that date "
            f"({form.see('onboarding-by-body', 'see the table below')}).",
        ]
    )


@section
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
    chart_data.onboarding(ctx.register, series)  # every point of the chart, registered
    reg, bodies = ctx.register, ctx.tables["bodies"]
    planned = bodies["planned_onboard_date"] <= ctx.period.end
    texts = {
        "planned": K.count_rows(
            reg,
            "onboarding.planned_by_end",
            "Bodies planned to be onboarded by the period end",
            "Bodies with planned_onboard_date on or before End.",
            [reg.rows("bodies", planned, f"planned_onboard_date on or before {fmt.date(ctx.period.end)}")],
            K.M + "onboarding.onboarding_series",
        ),
        "onboarded": K.key(reg, ctx.figures, "onboarding.onboarded"),
    }
    return display.figure(
        charts.onboarding_progress(series, texts),
        "Bodies onboarded against plan",
        source=SOURCE,
        notes="At each period's end: bodies whose planned onboarding date had passed, and bodies that had been "
        "onboarded (actual onboarding date on or before that end).",
    )


def _body_line(ctx: Context, body_id: str) -> int:
    bodies = ctx.tables["bodies"]
    return int(bodies.loc[bodies["body_id"] == body_id, "_line"].iloc[0])


def _slip(ctx: Context, row: pd.Series) -> str:
    """A body's slip in days (registered: planned to actual, or to End when overdue), or blank."""
    if pd.isna(row["slip_days"]):
        return ""
    reg, body = ctx.register, row["body_id"]
    overdue = row["state"] == onboarding.OVERDUE
    to = "end" if overdue else "actual_onboard_date"
    return reg.add(
        f"table.bodies.{body}.slip_days",
        int(row["slip_days"]),
        f"{int(row['slip_days']):,}",
        label=f"Onboarding slip in days, {row['name']}" + (" (overdue)" if overdue else ""),
        unit="days",
        definition=(
            "Actual minus planned onboarding date for an onboarded body; End minus planned for an overdue one."
        ),
        inputs=[ctx.register.rows("bodies", ctx.tables["bodies"]["body_id"] == body, f"body_id {body}")],
        function=K.M + "onboarding.onboarding_state",
        check={"op": "days", "from": "planned_onboard_date", "to": to, "end": ctx.period.end.date().isoformat()},
    )


def _customers(ctx: Context, row: pd.Series) -> str:
    """A body's customers as recorded in bodies (registered), or blank."""
    if pd.isna(row["customers"]):
        return ""
    line = _body_line(ctx, row["body_id"])
    return K.cell_value(
        ctx.register,
        f"table.bodies.{row['body_id']}.customers",
        "bodies",
        line,
        "customers",
        int(row["customers"]),
        fmt.count(row["customers"]),
        f"Customers, {row['name']}",
        "The customers column of the body's row in bodies.",
    )


@section
def onboarding_body_table(ctx: Context) -> HTML:
    """Each body's planned and actual onboarding, slippage and derived rating."""
    table = onboarding.onboarding_table(ctx.tables["bodies"], ctx.period, ctx.thresholds)
    table["slip"] = [_slip(ctx, row) for _, row in table.iterrows()]
    table["rating_words"] = [
        f"Overdue, {slip} day{'' if d == 1 else 's'}" if r == "overdue" else onboarding.rating_words(r, d)
        for r, d, slip in zip(table["rating"], table["slip_days"], table["slip"], strict=True)
    ]
    table["customers"] = [_customers(ctx, row) for _, row in table.iterrows()]
    table["centre"] = table["centre_id"].map(centre_names(ctx)).astype(object).fillna("Not yet assigned")
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
        figure_key="onboarding-by-body",
        source=SOURCE,
        notes="Slip is the days from the planned to the actual onboarding date, or to the period end for a body "
        "that is overdue. Ratings are this pipeline's own, under the thresholds in the Methodology; they are not "
        "official. Customers are those recorded for each body.",
    )


@section
def som_table(ctx: Context) -> HTML:
    """Adoption of the standard operating model, with variations."""
    table = onboarding.som_table(ctx.tables["bodies"], ctx.period)
    reg, bodies = ctx.register, ctx.tables["bodies"]
    onboarded = onboarding.onboarding_state(bodies, ctx.period)["onboarded"]
    table["bodies"] = [K.som(reg, ctx.figures, status) for status in table["som_status"]]
    table["variations"] = [
        None
        if pd.isna(v)
        else reg.add(
            f"table.som.{status}.variations",
            int(v),
            fmt.count(v),
            label=f"Variations to the operating model, bodies {status.replace('_', ' ')}",
            unit="variations",
            definition="Sum of variations over bodies onboarded by End with this som_status.",
            inputs=[
                reg.rows("bodies", onboarded & (bodies["som_status"] == status), f"onboarded, som_status {status}")
            ],
            function=K.M + "onboarding.som_table",
            check={"op": "sum", "column": "variations"},
        )
        for status, v in zip(table["som_status"], table["variations"], strict=True)
    ]
    table["status"] = table["som_status"].map(fmt.words)
    table.loc[table["som_status"] == "not_onboarded", "status"] = "Not yet onboarded (no status yet)"
    return display.table(
        table,
        f"Adoption of the standard operating model by bodies onboarded by {fmt.date(ctx.period.end)}",
        {"status": "Standard operating model", "bodies": "Bodies", "variations": "Variations"},
        source=SOURCE,
        notes="Operating-model status counts only bodies onboarded by the period end: a body not yet onboarded has "
        "no status yet and is counted apart. Variations are those recorded for each body.",
        formats={"variations": lambda v: "Not applicable" if v is None or pd.isna(v) else v},
        numeric=["bodies", "variations"],
    )
