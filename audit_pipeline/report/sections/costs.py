"""Section 02, notebooks/02_costs_savings: implementation costs, estimates and savings by attribution."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import ids_up_to
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import charts as chart_data
from audit_pipeline.report.register import collation, section
from audit_pipeline.report.register import finance as RF
from audit_pipeline.report.sections.costs_compare import (  # noqa: F401  (shown as this section's own)
    dis_savings_table,
    estimate_chart,
    estimate_history_table,
    evidence_table,
    forecast_table,
    net_position,
    savings_against_estimates,
)


def _any_amount(series: pd.DataFrame, columns: list[str]) -> bool:
    """Whether a period series holds any amount other than zero (else a chart would be empty)."""
    return bool(len(series)) and bool(series[columns].abs().to_numpy().sum() > 0)


def _unknown(series: pd.DataFrame) -> str:
    """The end of a "no chart" sentence: whether returns were not collated (then nothing is known, not zero)."""
    if len(series) and series["not_collated_rows"].sum():
        return "; returns were not collated, so the amounts are not known (not zero)."
    return "."


@section
def cost_chart(ctx: Context) -> HTML:
    """Cumulative implementation costs by type and in total, against the estimate range (chart)."""
    from audit_pipeline.report import charts_finance  # matplotlib and seaborn load only where a chart is drawn

    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period)
    if not _any_amount(series, ["central_programme", "departmental_implementation"]):
        return display.paragraphs(
            [
                f"No actual implementation costs are recorded up to {fmt.isolate(ctx.period.label)}, so there is no chart of them"
                + _unknown(series)
            ]
        )
    chart_data.costs(ctx.register, series)  # every point of the chart, registered
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    estimate = finance.find_estimate(now, "implementation_cost")
    kinds = {"central_programme": "central programme costs", "departmental_implementation": "departmental costs"}
    note = _collation_note(series, kinds, to_date=True)
    total = charts_finance.cost_total(series)
    RF.cost_total_points(ctx.register, series, total)  # the total line's points, registered
    incomplete = (
        series["central_programme_not_collated_to_date"] + series["departmental_implementation_not_collated_to_date"]
    )
    parts = ["the total is drawn only where both types have a collated return"] if total.isna().any() else []
    if total.isna().all():
        parts = ["no total is drawn, as no departmental costs have been collated"]
    if (total.notna() & (incomplete > 0)).any():
        parts.append("the total is at least the amount drawn (ringed) where a return was not collated")
    if parts:
        words = "; ".join(parts)
        note += (" " if note else "") + words[:1].upper() + words[1:] + "."
    last = f"chart.costs.total.{series['period_id'].iloc[-1]}"
    texts = {
        "central": K.key(ctx.register, ctx.figures, "costs.central_programme_to_date_gbp_m"),
        "departmental": K.key(ctx.register, ctx.figures, "costs.departmental_to_date_gbp_m"),
        "total": ctx.register.again(last) if last in ctx.register.entries else "not drawn",
        "estimate": K.estimate_range(ctx.register, estimate) if estimate is not None else "",
        "note": note,
    }
    return display.figure(
        charts_finance.cumulative_costs_with_total(series, estimate, texts),
        "Implementation costs to date, by type and in total, against the estimate range",
        note,
    )


def _collation_note(series: pd.DataFrame, kinds: dict[str, str], to_date: bool) -> str:
    """What a chart does not draw in full: periods with no collated return (gaps, marked with a
    cross) and amounts that are at least what is drawn (ringed), in words; "" when all were collated."""
    from audit_pipeline.report.charts import collation_counts

    parts = []
    for kind, words in kinds.items():
        actual, missing = collation_counts(series, kind, to_date)
        labels = list(series["label"])
        none = [fmt.isolate(lab) if m and not a else None for lab, a, m in zip(labels, actual, missing, strict=True)]
        some = [fmt.isolate(lab) if m and a else None for lab, a, m in zip(labels, actual, missing, strict=True)]
        if any(none):
            parts.append(
                f"{words} were not collated for {collation.periods_text(none)}: nothing is drawn there "
                "(a gap under a cross-hatched band), as the amount is not known; it is not zero"
            )
        if any(some):
            when = f"to date, for {collation.periods_text(some)}," if to_date else f"in {collation.periods_text(some)}"
            parts.append(f"{words} {when} are at least the amount drawn (ringed): some returns were not collated")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if parts else ""


def _cost_cells(ctx: Context, series: pd.DataFrame) -> pd.DataFrame:
    """The cost table's numbers as registered figures (ids ``table.costs.<period>.<column>``), with their rows."""
    reg, costs, periods = ctx.register, ctx.tables["costs"], ctx.tables["periods"]
    out = series.copy()
    kinds = {"central_programme": "central programme", "departmental_implementation": "departmental (collated)"}
    for column in (
        "central_programme",
        "departmental_implementation",
        "central_programme_cumulative",
        "not_collated_rows",
    ):
        out[column] = out[column].astype(object)
    for index, row in series.iterrows():
        pid = row["period_id"]
        here = costs["period_id"] == pid
        actual = costs["status"] == "actual"
        for kind, words in kinds.items():
            mask = here & actual & (costs["cost_type"] == kind)
            missing = here & (costs["status"] == "not_collated") & (costs["cost_type"] == kind)
            shown, complete = collation.display_of(
                row[kind], row[f"{kind}_actual_rows"], row[f"{kind}_not_collated"], fmt.money_cell
            )
            out.at[index, kind] = reg.add(
                f"table.costs.{pid}.{kind}",
                row[kind],
                shown,
                label=f"Actual {words} costs in {row['label']}",
                unit="gbp_m",
                definition=f"Sum of amount_gbp_m over costs rows with cost_type {kind}, status actual, in the period; "
                "at least this much when a return was not collated, and not collated when none was.",
                inputs=[reg.rows("costs", mask, f"period {pid}, cost_type {kind}, status actual")]
                + (
                    [reg.rows("costs", missing, f"period {pid}, cost_type {kind}, status not_collated")]
                    if complete is False
                    else []
                ),
                function=K.M + "finance.cost_series",
                complete=complete,
                check={"op": "sum", "column": "amount_gbp_m"},
            )
        upto = costs["period_id"].isin(ids_up_to(periods, _period(ctx, pid)))
        kind = "central_programme"
        mask = upto & actual & (costs["cost_type"] == kind)
        missing = upto & (costs["status"] == "not_collated") & (costs["cost_type"] == kind)
        shown, complete = collation.display_of(
            row[f"{kind}_cumulative"],
            row[f"{kind}_actual_rows_to_date"],
            row[f"{kind}_not_collated_to_date"],
            fmt.money_cell,
        )
        out.at[index, "central_programme_cumulative"] = reg.add(
            f"table.costs.{pid}.central_programme_cumulative",
            row["central_programme_cumulative"],
            shown,
            label=f"Central programme costs to {row['label']}",
            unit="gbp_m",
            definition="Sum of amount_gbp_m over costs rows with cost_type central_programme, status actual, period up to this one.",
            inputs=[reg.rows("costs", mask, f"period up to {pid}, cost_type central_programme, status actual")]
            + (
                [reg.rows("costs", missing, f"period up to {pid}, cost_type {kind}, status not_collated")]
                if not complete
                else []
            ),
            function=K.M + "finance.cost_series",
            complete=complete,
            check={"op": "sum", "column": "amount_gbp_m"},
        )
        mask = here & (costs["status"] == "not_collated")
        out.at[index, "not_collated_rows"] = reg.add(
            f"table.costs.{pid}.not_collated_rows",
            int(row["not_collated_rows"]),
            fmt.count(row["not_collated_rows"]),
            label=f"Cost returns not collated in {row['label']}",
            unit="rows",
            definition="Costs rows of the period with status not_collated.",
            inputs=[reg.rows("costs", mask, f"period {pid}, status not_collated")],
            function=K.M + "finance.cost_series",
            check={"op": "count"},
        )
    return out


def _period(ctx: Context, period_id: str):
    """The ``Period`` of ``period_id``."""
    from audit_pipeline.measures.periods import period_of

    return period_of(ctx.tables["periods"], period_id)


@section
def cost_table(ctx: Context) -> HTML:
    """Actual implementation costs by period; returns not collated are counted, never added as zero."""
    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period)
    series = _cost_cells(ctx, series)
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
        numeric=[
            "central_programme",
            "departmental_implementation",
            "central_programme_cumulative",
            "not_collated_rows",
        ],
    )


def _departmental_sentence(ctx: Context) -> str:
    """Departmental costs collated to date ("at least" when incomplete), or that none have been collated."""
    c = ctx.figures["costs"]
    key = lambda path: K.key(ctx.register, ctx.figures, path)  # noqa: E731
    missing = c["departmental_not_collated_bodies"]
    bodies = key("costs.departmental_not_collated_bodies") if missing else ""
    if K.not_collated(ctx.register, "costs.departmental_to_date_gbp_m"):
        return f"No departmental implementation costs have been collated: {K.noun(bodies, missing, 'body has', 'bodies have')} not reported them."
    total = key("costs.departmental_to_date_gbp_m")  # "at least ..." when a return was not collated
    if missing:
        noun = "body's" if missing == 1 else "bodies'"
        total = f"{total} ({bodies} {noun} costs not collated)"
    return f"Departmental implementation costs collated to date are {total}."


@section
def cost_text(ctx: Context) -> HTML:
    """Central, departmental and forecast costs in a few sentences."""
    c = ctx.figures["costs"]
    key = lambda path: K.key(ctx.register, ctx.figures, path)  # noqa: E731
    sentences = [
        f"Central programme spending to date is {key('costs.central_programme_to_date_gbp_m')}.",
        _departmental_sentence(ctx),
        f"Forecast costs for later periods: {key('costs.forecast_gbp_m')} (forecasts never enter totals to date)."
        if c["forecast_gbp_m"]
        else "The pack holds no forecast costs for later periods.",
    ]
    return display.paragraphs(sentences)


def _previous_bound(ctx: Context, row: pd.Series, bound: str) -> str:
    """One end of the estimate in force a period earlier, in £ million (registered from its own row);
    "Not applicable" for a first estimate."""
    if pd.isna(row["low_gbp_m_previous"]):
        return "Not applicable"
    before = finance.estimates_in_force(ctx.tables["estimates"], ctx.previous.end)
    match = before[(before["measure"] == row["measure"]) & (before["scope"] == row["scope"])]
    # registered from its own row (an id of its own: the estimate in force now has the same measure and scope)
    return RF.history_bound(ctx.register, match.iloc[0], bound, fmt.money_cell, prefix="table.estimates.previous")


@section
def estimates_table(ctx: Context) -> HTML:
    """The estimates in force at the period end, and how each changed since the previous period."""
    table = finance.estimate_changes(ctx.tables["estimates"], ctx.period, ctx.previous)
    rows = list(table.iterrows())
    for bound in ("low", "high"):
        table[bound] = [
            RF.history_bound(ctx.register, r, bound, fmt.money_cell, "table.estimates.now") for _, r in rows
        ]
        table[f"previous_{bound}"] = [_previous_bound(ctx, r, bound) for _, r in rows]
    table["change"] = table["changed"].map({True: "Revised this period", False: "Unchanged"})
    table["measure_words"] = [
        f"{fmt.words(r['measure'])} ({r['scope']}"
        + ("" if pd.isna(r["horizon"]) else f"; horizon {r['horizon']}")
        + ")"
        for _, r in rows
    ]
    table["made"] = table["as_at"].map(fmt.date)
    columns = {
        "measure_words": "Measure (scope)",
        "low": "Low (£ million)",
        "high": "High (£ million)",
        "made": "Made on",
        "previous_low": "Previous low (£ million)",
        "previous_high": "Previous high (£ million)",
        "change": "Change",
        "source": "Source",  # rows citing a published report are marked (sources=, report/published.py)
    }
    return display.table(
        table, "Estimates in force at the end of the period, and how they changed", columns, sources="source"
    )


def _money_key(ctx: Context, path: str) -> str:
    """A key sum to date in running text (``£23.5 million``, "at least" when incomplete, or "not collated")."""
    if K.not_collated(ctx.register, path):
        return K.key(ctx.register, ctx.figures, path, fmt.NOT_COLLATED)
    value = path.split(".", 1)
    return K.key(ctx.register, ctx.figures, path, fmt.money(ctx.figures[value[0]][value[1]]))


@section
def savings_chart(ctx: Context) -> HTML:
    """Savings by attribution over time (chart): programme savings apart from reduced activity."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = finance.savings_series(ctx.tables["savings"], ctx.tables["periods"], ctx.period)
    if not _any_amount(series, ["shared_services", "reduced_activity", "unattributed"]):
        return display.paragraphs(
            [
                f"No actual savings are recorded up to {fmt.isolate(ctx.period.label)}, so there is no chart of them"
                + _unknown(series)
            ]
        )
    chart_data.savings(ctx.register, series)  # every point of the chart, registered
    texts = {
        name: _money_key(ctx, f"savings.{name}_to_date_gbp_m")
        for name in ("shared_services", "reduced_activity", "unattributed")
    }
    names = {
        "shared_services": "shared services savings",
        "reduced_activity": "reduced activity savings",
        "unattributed": "unattributed savings",
    }
    texts["note"] = _collation_note(series, names, to_date=False)
    return display.figure(
        charts.savings_by_attribution(series, texts),
        "Savings by attribution: programme savings shown apart from reduced activity",
        texts["note"],
    )


@section
def savings_table(ctx: Context) -> HTML:
    """Savings to date by attribution, and how each is treated."""
    s = ctx.figures["savings"]

    def key(name: str) -> str:  # "at least 23.5" when a return was not collated; "not collated" when none was
        path = f"savings.{name}"
        shown = fmt.NOT_COLLATED if K.not_collated(ctx.register, path) else fmt.money_cell(s[name])
        return K.key(ctx.register, ctx.figures, path, shown)

    rows = pd.DataFrame(
        [
            (
                "Shared services (programme savings)",
                key("shared_services_to_date_gbp_m"),
                "Counted as programme savings",
            ),
            (
                "Reduced activity",
                key("reduced_activity_to_date_gbp_m"),
                "Not programme savings: lower spending, not shared services",
            ),
            ("Unattributed", key("unattributed_to_date_gbp_m"), "Not programme savings until attributed"),
        ],
        columns=["attribution", "amount", "treatment"],
    )
    return display.table(
        rows,
        f"Actual savings to date by attribution (£ million); {K.noun(K.key(ctx.register, ctx.figures, 'savings.not_collated_rows'), s['not_collated_rows'], 'savings return')} not collated",
        {"attribution": "Attribution", "amount": "To date (£ million)", "treatment": "Treatment"},
        numeric=["amount"],
    )
