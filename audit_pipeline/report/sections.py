"""What each report section shows: one call per notebook cell, each returning a display object.

Notebooks narrate in markdown and call these; the figures come from
``measures`` and the formatting from ``fmt`` and ``display``.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance, onboarding, recommendations, service
from audit_pipeline.measures import periods as P
from audit_pipeline.measures.summary import derived_rating, executive_summary, official_rating
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context

# ---- summary -------------------------------------------------------------------------------


def title_block(ctx: Context) -> HTML:
    """Programme, period and the date the data are as at."""
    prog = ctx.pack.programme
    return HTML(
        '<div class="title-block">'
        f'<p class="programme">{html.escape(prog["name"])} ({html.escape(prog["sponsor"])})</p>'
        f'<p class="period">Period reported: {html.escape(ctx.period.label)} '
        f"({fmt.date(ctx.period.start)} to {fmt.date(ctx.period.end)}), financial year {fmt.financial_year(ctx.period.end)}</p>"
        f'<p class="as-at">Data as at {fmt.date(ctx.period.end)}</p></div>'
    )


def headlines(ctx: Context) -> HTML:
    """Headline figures, each with its comparison point."""
    f = ctx.figures
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    c = f["costs"]
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    cost_est, save_est = finance.find_estimate(now, "implementation_cost"), finance.find_estimate(now, "annual_savings")
    rec = f["recommendations"]
    by_source = "; ".join(f"{v['implemented']} of {v['total']} {k}" for k, v in rec["by_source"].items())
    items = [
        (
            "Implementation costs to date",
            ("at least " if c["departmental_not_collated_bodies"] else "") + fmt.money(spent),
            (
                f"Estimate: {fmt.money_range(cost_est['low_gbp_m'], cost_est['high_gbp_m'])}."
                if cost_est is not None
                else "No estimate in the pack."
            )
            + (
                f" Incomplete: {fmt.count(c['departmental_not_collated_bodies'], 'body has', 'bodies have')} not collated departmental costs."
                if c["departmental_not_collated_bodies"]
                else ""
            ),
        ),
        (
            "Programme savings to date (shared services only)",
            fmt.money(f["savings"]["shared_services_to_date_gbp_m"]),
            f"Estimate: {fmt.money_range(save_est['low_gbp_m'], save_est['high_gbp_m'])} a year ({save_est['scope']})"
            if save_est is not None
            else "No estimate in the pack",
        ),
        (
            "Customers served",
            fmt.count(f["onboarding"]["customers_served"]),
            f"{f['onboarding']['onboarded']} of {f['onboarding']['bodies']} bodies onboarded; {f['onboarding']['overdue']} overdue",
        ),
        (
            "Recommendations implemented",
            f"{rec['implemented']} of {rec['total']}",
            f"Implementation rate {fmt.share(rec['implementation_rate'])}; {rec['overdue']} overdue"
            + (f". By source: {by_source}" if by_source else ""),
        ),
    ]
    return HTML(display.headline_html(items))


def summary_text(ctx: Context) -> HTML:
    """The executive summary, generated from the figures."""
    return display.paragraphs(executive_summary(ctx.pack, ctx.period, ctx.figures))


def ratings(ctx: Context) -> HTML:
    """The official delivery confidence rating (if any) beside the pipeline's derived rating."""
    official = official_rating(ctx.tables["delivery_confidence"], ctx.tables["periods"], ctx.period)
    derived = derived_rating(ctx.figures, ctx.thresholds)
    rows = []
    if official:
        when = "this period" if official["current"] else f"latest available, from {official['period_id']}"
        assessor = official["assessor"] or "assessor not stated"
        rows.append(("Official delivery confidence", fmt.words(official["rating"]), f"{assessor} ({when})"))
    else:
        rows.append(
            (
                "Official delivery confidence",
                "Not available",
                "The data pack holds no official rating up to this period",
            )
        )
    reasons = "; ".join(derived["reasons"]) or "no concerns under the pipeline's rules"
    rows.append(("Derived rating", fmt.words(derived["rating"]), f"{derived['label']}. Basis: {reasons}."))
    frame = pd.DataFrame(rows, columns=["what", "rating", "basis"])
    return display.table(
        frame,
        "Delivery confidence: official rating and the pipeline's derived rating",
        {"what": "Rating", "rating": "Value", "basis": "Source and basis"},
    )


# ---- costs and savings ----------------------------------------------------------------------


def cost_chart(ctx: Context) -> HTML:
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period)
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    return display.figure(
        charts.cumulative_costs(series, finance.find_estimate(now, "implementation_cost")),
        "Implementation costs to date against the estimate range",
    )


def cost_table(ctx: Context) -> HTML:
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
    missing = c["departmental_not_collated_bodies"]
    if missing and not c["departmental_to_date_gbp_m"]:
        return f"No departmental implementation costs have been collated: {fmt.count(missing, 'body has', 'bodies have')} not reported them."
    return f"Departmental implementation costs collated to date are {fmt.at_least(c['departmental_to_date_gbp_m'], missing)}."


def cost_text(ctx: Context) -> HTML:
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
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = finance.savings_series(ctx.tables["savings"], ctx.tables["periods"], ctx.period)
    return display.figure(
        charts.savings_by_attribution(series),
        "Savings by attribution: programme savings shown apart from reduced activity",
    )


def savings_table(ctx: Context) -> HTML:
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


# ---- onboarding -----------------------------------------------------------------------------


def onboarding_text(ctx: Context) -> HTML:
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
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    upto = [p for p in P.all_periods(ctx.tables["periods"]) if p.start <= ctx.period.start]
    return display.figure(
        charts.onboarding_progress(onboarding.onboarding_series(ctx.tables["bodies"], upto)),
        "Bodies onboarded against plan",
    )


def onboarding_body_table(ctx: Context) -> HTML:
    table = onboarding.onboarding_table(ctx.tables["bodies"], ctx.period, ctx.thresholds)
    table["rating_words"] = [
        onboarding.rating_words(r, d) for r, d in zip(table["rating"], table["slip_days"], strict=True)
    ]
    table["centre"] = table["centre_id"].map(_centre_names(ctx)).fillna("Not yet assigned")
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


# ---- service performance ----------------------------------------------------------------------


def _service_series(ctx: Context) -> pd.DataFrame:
    rows = []
    for p in P.all_periods(ctx.tables["periods"]):
        if p.start > ctx.period.start:
            break
        for centre, figures in service.service_figures(ctx.pack.transactions, p).items():
            rows.append({"label": p.label, "centre_id": centre, **figures})
    return pd.DataFrame(
        rows, columns=["label", "centre_id", "volume", "within_sla_share", "median_days_to_complete", "open_at_end"]
    )


def service_chart(ctx: Context) -> HTML:
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = _service_series(ctx)
    if series.empty:
        return display.paragraphs(["The data pack holds no transaction data, so no service figures are derived."])
    return display.figure(
        charts.service_within_sla(series), "Share of transactions completed within SLA, derived from transaction data"
    )


def _centre_names(ctx: Context) -> dict:
    return ctx.tables["centres"].set_index("centre_id")["name"].to_dict()


def _period_labels(ctx: Context) -> dict:
    return ctx.tables["periods"].set_index("period_id")["label"].to_dict()


def kpi_table(ctx: Context) -> HTML:
    table = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table["value_text"] = [fmt.measure(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    table["benchmark_text"] = [
        fmt.measure(v, u) if not pd.isna(v) else "None set"
        for v, u in zip(table["benchmark"], table["unit"], strict=True)
    ]
    table["direction_words"] = table["direction"].map(fmt.words)
    table["centre"] = table["centre_id"].map(_centre_names(ctx))
    early = onboarding.kpi_values_before_go_live(table, ctx.tables["centres"], ctx.tables["periods"])
    live = early.drop_duplicates("centre_id").set_index("centre_id")["go_live_date"]
    table["flag"] = [
        f"Reported before the centre went live ({fmt.date(live[c])}): not a result" if c in live.index else "None"
        for c in table["centre_id"]
    ]
    return display.table(
        table,
        f"Self-reported KPIs for {ctx.period.label} against benchmarks, with MI timeliness",
        {
            "name": "KPI",
            "centre": "Centre",
            "value_text": "Value",
            "benchmark_text": "Benchmark",
            "direction_words": "Better when",
            "against_benchmark": "Against benchmark",
            "timeliness": "Reported",
            "flag": "Flag",
        },
        numeric=["value_text", "benchmark_text"],
    )


def derived_vs_reported(ctx: Context) -> HTML:
    kpis = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table = service.derived_beside_reported(ctx.figures["service"], kpis, ctx.tables["centres"])
    return display.table(
        table,
        f"Transaction-derived figures for {ctx.period.label} beside the centre's own reported KPIs",
        {
            "centre": "Centre",
            "volume": "Transactions received",
            "within_sla_share": "Completed within SLA",
            "median_days_to_complete": "Median days to complete",
            "open_at_end": "Open at period end",
            "reported_kpis": "Self-reported KPIs",
        },
        formats={
            "within_sla_share": fmt.share,
            "volume": fmt.count,
            "open_at_end": fmt.count,
            "median_days_to_complete": lambda v: fmt.number(v, 1),
            "reported_kpis": lambda v: v or "None reported",
        },
        numeric=["volume", "within_sla_share", "median_days_to_complete", "open_at_end"],
    )


def mi_timeliness_table(ctx: Context) -> HTML:
    upto = P.ids_up_to(ctx.tables["periods"], ctx.period)
    table = service.mi_timeliness(ctx.tables["kpi_values"], ctx.tables["periods"], ctx.thresholds["mi_late_days"])
    table = table[table["period_id"].isin(upto)]
    early = onboarding.kpi_values_before_go_live(ctx.tables["kpi_values"], ctx.tables["centres"], ctx.tables["periods"])
    table = table.assign(before_go_live=table["period_id"].map(early["period_id"].value_counts()).fillna(0).astype(int))
    return display.table(
        table,
        f"Management information timeliness: KPI values reported more than {ctx.thresholds['mi_late_days']} days after the period end are late; "
        "values for a period that ended before the centre went live are flagged",
        {
            "label": "Period",
            "values": "KPI values",
            "late": "Reported late",
            "undated": "No reporting date",
            "before_go_live": "Before centre went live (flagged)",
        },
        numeric=["values", "late", "undated", "before_go_live"],
    )


# ---- recommendations ---------------------------------------------------------------------------


def _tracker(ctx: Context, period: P.Period | None = None) -> pd.DataFrame:
    t = ctx.tables
    return recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], period or ctx.period)


def recommendation_chart(ctx: Context) -> HTML:
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    t = ctx.tables
    upto = [p for p in P.all_periods(t["periods"]) if p.start <= ctx.period.start]
    series = recommendations.status_series(t["recommendations"], t["recommendation_status"], t["periods"], upto)
    return display.figure(charts.recommendation_status(series), "Recommendations by assessed status over time")


def tracker_table(ctx: Context) -> HTML:
    track = _tracker(ctx)
    track["status_words"] = track["status"].map(fmt.words)
    track["reported_words"] = track["reported_status"].map(
        lambda s: fmt.words(s) if isinstance(s, str) else "Not reported"
    )
    labels = _period_labels(ctx)
    track["flags"] = [
        "; ".join(
            w
            for w, on in (
                ("Overdue", o),
                ("Reported implemented, not confirmed", r),
                (f"Not reassessed this period (last assessed {labels.get(a, a)})", n),
            )
            if on
        )
        or "None"
        for o, r, n, a in zip(
            track["overdue"],
            track["reported_not_confirmed"],
            track["not_reassessed"],
            track["assessed_period_id"],
            strict=True,
        )
    ]
    return display.table(
        track,
        f"Recommendation tracker at {ctx.period.label}: recommendations made by {fmt.date(ctx.period.end)}, "
        "the auditor's assessed status beside the status the body reported",
        {
            "rec_id": "Ref",
            "source_report": "Source",
            "text": "Recommendation",
            "owner": "Owner",
            "status_words": "Assessed status",
            "reported_words": "Reported status",
            "target_in_force": "Target date",
            "flags": "Flags",
        },
    )


def _recommendation_list(ctx: Context, selected: str, describe, empty: str) -> HTML:
    """A bulleted list of the tracker rows where column ``selected`` holds (true or present)."""
    track = _tracker(ctx)
    rows = track[track[selected].notna() & track[selected].astype(bool)]
    return display.bullets((describe(r) for _, r in rows.iterrows()), empty=empty)


def evidence_list(ctx: Context) -> HTML:
    """The evidence recorded for each recommendation's latest assessment."""
    labels = _period_labels(ctx)
    return _recommendation_list(
        ctx,
        "evidence",
        lambda r: (
            f"{r['rec_id']} (assessed {labels.get(r['assessed_period_id'], r['assessed_period_id'])}): {r['evidence']}"
        ),
        "No evidence is recorded for the assessments up to this period.",
    )


def overdue_list(ctx: Context) -> HTML:
    return _recommendation_list(
        ctx,
        "overdue",
        lambda r: (
            f"{r['rec_id']} ({r['source_report']}): target {fmt.date(r['target_in_force'])}, status {fmt.words(r['status']).lower()}"
        ),
        "No recommendation is overdue.",
    )


def not_confirmed_list(ctx: Context) -> HTML:
    return _recommendation_list(
        ctx,
        "reported_not_confirmed",
        lambda r: f"{r['rec_id']}: reported implemented, assessed as {fmt.words(r['status']).lower()}",
        "No recommendation is reported as implemented without audit confirmation.",
    )


def revisions_table(ctx: Context) -> HTML:
    t = ctx.tables
    table = recommendations.revisions(t["recommendations"], t["recommendation_status"], t["periods"], ctx.period)
    table["period_id"] = table["period_id"].map(_period_labels(ctx))
    return display.table(
        table,
        "Revised target dates, with the original target and the reason given",
        {
            "rec_id": "Ref",
            "period_id": "Revised in",
            "original_target_date": "Original target",
            "current_target_date": "Revised target",
            "revision_reason": "Reason",
        },
        formats={"original_target_date": lambda d: fmt.date(d) if not pd.isna(d) else "None set"},
    )


def changes_table(ctx: Context) -> HTML:
    before = _tracker(ctx, ctx.previous) if ctx.previous else None
    table = recommendations.changes_since(_tracker(ctx), before)
    if ctx.previous is None:
        return display.paragraphs(
            ["This is the first period in the pack, so there is no previous period to compare with."]
        )
    table["now"] = table["status"].map(fmt.words)
    table["before"] = [
        "Not yet made" if new else fmt.words(s) for new, s in zip(table["new"], table["previous_status"], strict=True)
    ]
    return display.table(
        table,
        f"Changes in assessed status since {ctx.previous.label}",
        {"rec_id": "Ref", "before": f"At {ctx.previous.label}", "now": f"At {ctx.period.label}"},
    )


def source_table(ctx: Context) -> HTML:
    by_source = ctx.figures["recommendations"]["by_source"]
    frame = pd.DataFrame(
        [(k, v["total"], v["implemented"]) for k, v in by_source.items()], columns=["source", "total", "implemented"]
    )
    return display.table(
        frame,
        "Recommendations implemented by source report",
        {"source": "Source report", "total": "Recommendations", "implemented": "Implemented"},
        numeric=["total", "implemented"],
    )


# ---- data quality and provenance ------------------------------------------------------------------


def warnings_table(ctx: Context) -> HTML:
    """Every warning found when the pack was validated."""
    rows = pd.DataFrame(
        [(f.file, f.line, f.column, f.value, f.rule) for f in ctx.pack.warnings],
        columns=["file", "line", "column", "value", "rule"],
    )
    return display.table(
        rows,
        f"Data pack warnings ({len(rows)}): accepted, but worth checking with the supplier",
        {"file": "File", "line": "Line", "column": "Column", "value": "Value", "rule": "Warning"},
        formats={"line": lambda v: "" if pd.isna(v) else str(int(v))},
    )


def not_collated_table(ctx: Context) -> HTML:
    """Every not-collated cost or savings return up to the period: missing, not zero."""
    t = ctx.tables
    items = finance.not_collated_items(t["costs"], t["savings"], t["periods"], ctx.period)
    names = t["bodies"].set_index("body_id")["name"]
    items["body"] = items["body_id"].map(names)
    items["type_words"] = items["type"].map(fmt.words)
    items["period_id"] = items["period_id"].map(_period_labels(ctx))
    return display.table(
        items,
        f"Returns not collated up to {ctx.period.label} ({len(items)}): missing data, never counted as zero",
        {"table": "Table", "period_id": "Period", "body": "Body", "type_words": "Type", "line": "Line in file"},
    )
