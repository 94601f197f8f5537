"""Section 04, notebooks/04_service: self-reported KPIs, transaction-derived figures, MI timeliness."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import onboarding, service
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import charts as chart_data
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import centre_names, kpi_value

TRANSACTIONS_SOURCE = "the programme's data pack, transactions (one row per transaction, from the centres' systems)."


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


@section
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
    chart_data.service(ctx.register, series)  # every point of the chart, registered
    latest = series[series["label"] == ctx.period.label]
    names = centre_names(ctx)
    texts = {
        names.get(c, c): K.service(ctx.register, ctx.figures, c, "within_sla_share")
        for c in latest["centre_id"]
        if c in ctx.figures["service"]
    }
    named = series.assign(centre_id=series["centre_id"].map(lambda c: names.get(c, c)))  # names, never ids
    return display.figure(
        charts.service_within_sla(named, texts),
        "Share of transactions completed within SLA, derived from transaction data",
        source=TRANSACTIONS_SOURCE,
        notes="For each centre and period: transactions received in the period and completed within the days of "
        "their service level agreement, as a share of all received in the period.",
    )


def _benchmark(ctx: Context, row: pd.Series) -> str:
    """A KPI's benchmark (registered from its row in kpis), or "None set"."""
    if pd.isna(row["benchmark"]):
        return "None set"
    kpis = ctx.tables["kpis"]
    line = int(kpis.loc[kpis["kpi_id"] == row["kpi_id"], "_line"].iloc[0])
    return K.cell_value(
        ctx.register,
        f"kpis.{row['kpi_id']}.benchmark",
        "kpis",
        line,
        "benchmark",
        row["benchmark"],
        fmt.measure(row["benchmark"], row["unit"]),
        f"Benchmark for {row['name']}",
        "The benchmark column of the KPI's row in kpis.",
    )


@section
def kpi_table(ctx: Context) -> HTML:
    """The centres' self-reported KPIs against benchmarks, with MI timeliness."""
    table = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table["value_text"] = [kpi_value(ctx, row) for _, row in table.iterrows()]
    table["benchmark_text"] = [_benchmark(ctx, row) for _, row in table.iterrows()]
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
        source="the programme's data pack, tables kpi_values (values reported by the centres, not audited) "
        "and kpis (benchmarks).",
        notes="A value is late when reported after the threshold in the Methodology. A value for a period before "
        "the centre went live is flagged: it is not a result of the centre's service. A KPI with no benchmark "
        "is not compared.",
    )


@section
def derived_vs_reported(ctx: Context) -> HTML:
    """Transaction-derived figures beside each centre's own reported KPIs."""
    kpis = service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    table = service.derived_beside_reported(ctx.figures["service"], kpis, ctx.tables["centres"])
    for name in ("volume", "within_sla_share", "median_days_to_complete", "open_at_end"):
        table[name] = [
            K.service(ctx.register, ctx.figures, c, name)
            if c in ctx.figures["service"] and ctx.figures["service"][c][name] is not None
            else None
            for c in table["centre_id"]
        ]
    table["reported_kpis"] = [
        "; ".join(f"{fmt.isolate(r['name'])}: {kpi_value(ctx, r)}" for _, r in kpis[kpis["centre_id"] == c].iterrows())
        or "None reported"
        for c in table["centre_id"]
    ]
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
            name: (lambda v: fmt.MISSING if v is None else v)
            for name in ("volume", "within_sla_share", "median_days_to_complete", "open_at_end")
        },
        numeric=["volume", "within_sla_share", "median_days_to_complete", "open_at_end"],
        source=TRANSACTIONS_SOURCE[:-1] + "; kpi_values (reported by the centres).",
        notes="Derived over transactions received in the period: completed within SLA as a share of those "
        "received; median days from receipt to completion over those completed; open at the period end counts "
        "every transaction received by the end and not completed, whatever its period.",
    )


def _mi_cells(ctx: Context, table: pd.DataFrame, early: pd.DataFrame) -> pd.DataFrame:
    """The MI timeliness counts as registered figures, each with the kpi_values rows it counts."""
    reg, values = ctx.register, ctx.tables["kpi_values"]
    ends = ctx.tables["periods"].set_index("period_id")["end_date"]
    late_days = ctx.thresholds["mi_late_days"]
    out = table.copy().astype({c: object for c in ("values", "late", "undated", "before_go_live")})
    for index, row in table.iterrows():
        pid = row["period_id"]
        here = values["period_id"] == pid
        late = here & (values["reported_on"] > ends[pid] + pd.Timedelta(days=late_days))
        masks = {
            "values": (here, "KPI values reported for the period", "kpi_values rows of the period."),
            "late": (
                late,
                "KPI values reported late",
                f"kpi_values rows of the period reported more than {late_days} days after its end.",
            ),
            "undated": (
                here & values["reported_on"].isna(),
                "KPI values without a reporting date",
                "kpi_values rows of the period with no reported_on.",
            ),
            "before_go_live": (
                values["_line"].isin(early.loc[early["period_id"] == pid, "_line"])
                if "_line" in early
                else here & False,
                "KPI values for a period that ended before the centre went live",
                "kpi_values rows of the period whose period ended before the centre's go_live_date.",
            ),
        }
        for column, (mask, label, definition) in masks.items():
            out.at[index, column] = K.count_rows(
                reg,
                f"table.mi.{pid}.{column}",
                f"{label}, {row['label']}",
                definition,
                [reg.rows("kpi_values", mask, f"period {pid}, {column.replace('_', ' ')}")],
                K.M + "service.mi_timeliness",
            )
    return out


@section
def mi_timeliness_table(ctx: Context) -> HTML:
    """KPI values reported late or undated, period by period."""
    upto = P.ids_up_to(ctx.tables["periods"], ctx.period)
    table = service.mi_timeliness(ctx.tables["kpi_values"], ctx.tables["periods"], ctx.thresholds["mi_late_days"])
    table = table[table["period_id"].isin(upto)]
    early = onboarding.kpi_values_before_go_live(ctx.tables["kpi_values"], ctx.tables["centres"], ctx.tables["periods"])
    table = table.assign(before_go_live=table["period_id"].map(early["period_id"].value_counts()).fillna(0).astype(int))
    table = _mi_cells(ctx, table, early)
    return display.table(
        table,
        f"Management information timeliness: KPI values reported more than {K.threshold(ctx.register, 'mi_late_days')} days after the period end are late; "
        "values for a period that ended before the centre went live are flagged",
        {
            "label": "Period",
            "values": "KPI values",
            "late": "Reported late",
            "undated": "No reporting date",
            "before_go_live": "Before centre went live (flagged)",
        },
        numeric=["values", "late", "undated", "before_go_live"],
        source="the programme's data pack, tables kpi_values (reporting dates) and centres (go-live dates).",
        notes="Each period's KPI values, counted by when they were reported against the period's end. "
        "Values with no reporting date cannot be judged on time.",
    )
