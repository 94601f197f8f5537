"""Section 04, notebooks/04_service: self-reported KPIs, transaction-derived figures, MI timeliness."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import onboarding, service
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt, narrative
from audit_pipeline.report.context import Context
from audit_pipeline.report.sections.common import centre_names


def _service_series(ctx: Context) -> pd.DataFrame:
    """Transaction-derived figures for each centre in every period up to the reported one."""
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
    """Share completed within SLA, by centre and period (chart), or that there are no transactions."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    series = _service_series(ctx)
    if series.empty:
        return display.paragraphs(["The data pack holds no transaction data, so no service figures are derived."])
    if series["within_sla_share"].isna().all():
        return display.paragraphs(
            [
                f"No transactions were received in any period up to {fmt.isolate(ctx.period.label)}, "
                "so there is no chart of the share completed within SLA."
            ]
        )
    return display.figure(
        charts.service_within_sla(series), "Share of transactions completed within SLA, derived from transaction data"
    )


def kpi_table(ctx: Context) -> HTML:
    """The centres' self-reported KPIs against benchmarks, with MI timeliness."""
    table = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table["value_text"] = [fmt.measure(v, u) for v, u in zip(table["value"], table["unit"], strict=True)]
    table["benchmark_text"] = [
        fmt.measure(v, u) if not pd.isna(v) else "None set"
        for v, u in zip(table["benchmark"], table["unit"], strict=True)
    ]
    table["direction_words"] = table["direction"].map(fmt.words)
    table["centre"] = table["centre_id"].map(centre_names(ctx))
    early = onboarding.kpi_values_before_go_live(table, ctx.tables["centres"], ctx.tables["periods"])
    live = early.drop_duplicates("centre_id").set_index("centre_id")["go_live_date"]
    table["flag"] = [
        f"Reported before the centre went live ({fmt.date(live[c])}): not a result" if c in live.index else "None"
        for c in table["centre_id"]
    ]
    return display.table(
        table,
        f"Self-reported KPIs for {fmt.isolate(ctx.period.label)} against benchmarks, with MI timeliness",
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
    """Transaction-derived figures beside each centre's own reported KPIs."""
    kpis = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table = service.derived_beside_reported(ctx.figures["service"], kpis, ctx.tables["centres"])
    return display.table(
        table,
        f"Transaction-derived figures for {fmt.isolate(ctx.period.label)} beside the centre's own reported KPIs",
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
            "reported_kpis": lambda items: narrative.reported_kpis(items) or "None reported",
        },
        numeric=["volume", "within_sla_share", "median_days_to_complete", "open_at_end"],
    )


def mi_timeliness_table(ctx: Context) -> HTML:
    """KPI values reported late or undated, period by period."""
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
