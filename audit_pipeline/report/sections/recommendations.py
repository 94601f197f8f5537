"""Section 05, notebooks/05_recommendations: the tracker, evidence, overdue items, revisions and changes."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import periods as P
from audit_pipeline.measures import recommendations
from audit_pipeline.pack.contract import REC_STATUSES
from audit_pipeline.report import display, fmt, narrative
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import charts as chart_data
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import period_labels


def _tracker(ctx: Context, period: P.Period | None = None) -> pd.DataFrame:
    """The recommendation tracker at ``period`` (the reported period by default)."""
    t = ctx.tables
    return recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], period or ctx.period)


@section
def recommendation_chart(ctx: Context) -> HTML:
    """Recommendations by assessed status over time (chart)."""
    from audit_pipeline.report import charts  # matplotlib and seaborn load only where a chart is drawn

    t = ctx.tables
    upto = [p for p in P.all_periods(t["periods"]) if p.start <= ctx.period.start]
    # The chart's data (measures.recommendations.status_series), every point registered.
    series = chart_data.recommendations(ctx.register, upto)
    if series.empty or not series[list(REC_STATUSES)].to_numpy().sum():
        return display.paragraphs(
            [f"No recommendation had been made by {fmt.date(ctx.period.end)}, so there is no chart of their status."]
        )
    shown = narrative.recommendation_counts(ctx.register, ctx.figures)
    return display.figure(charts.recommendation_status(series, shown), "Recommendations by assessed status over time")


@section
def tracker_table(ctx: Context) -> HTML:
    """Every recommendation's assessed and reported status, target and flags."""
    track = _tracker(ctx)
    track["status_words"] = track["status"].map(fmt.words)
    track["reported_words"] = track["reported_status"].map(
        lambda s: fmt.words(s) if isinstance(s, str) else "Not reported"
    )
    labels = period_labels(ctx)
    track["flags"] = [
        "; ".join(
            w
            for w, on in (
                ("Overdue", o),
                ("Reported implemented, not confirmed", r),
                (f"Not reassessed this period (last assessed {fmt.isolate(labels.get(a, a))})", n),
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
        f"Recommendation tracker at {fmt.isolate(ctx.period.label)}: recommendations made by {fmt.date(ctx.period.end)}, "
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


@section
def evidence_list(ctx: Context) -> HTML:
    """The evidence recorded for each recommendation's latest assessment."""
    labels = period_labels(ctx)
    return _recommendation_list(
        ctx,
        "evidence",
        lambda r: (
            f"{r['rec_id']} (assessed {fmt.isolate(labels.get(r['assessed_period_id'], r['assessed_period_id']))}): {fmt.isolate(r['evidence'])}"
        ),
        "No evidence is recorded for the assessments up to this period.",
    )


@section
def overdue_list(ctx: Context) -> HTML:
    """Each overdue recommendation, with its target and status."""
    return _recommendation_list(
        ctx,
        "overdue",
        lambda r: (
            f"{r['rec_id']} ({fmt.isolate(r['source_report'])}): target {fmt.date(r['target_in_force'])}, status {fmt.words(r['status']).lower()}"
        ),
        "No recommendation is overdue.",
    )


@section
def not_confirmed_list(ctx: Context) -> HTML:
    """Each recommendation reported implemented but not confirmed by audit."""
    return _recommendation_list(
        ctx,
        "reported_not_confirmed",
        lambda r: f"{r['rec_id']}: reported implemented, assessed as {fmt.words(r['status']).lower()}",
        "No recommendation is reported as implemented without audit confirmation.",
    )


@section
def revisions_table(ctx: Context) -> HTML:
    """Revised target dates, with the original target and the reason."""
    t = ctx.tables
    table = recommendations.revisions(t["recommendations"], t["recommendation_status"], t["periods"], ctx.period)
    table["period_id"] = table["period_id"].map(period_labels(ctx))
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


@section
def changes_table(ctx: Context) -> HTML:
    """Changes in assessed status since the previous period (or that there is none)."""
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
        f"Changes in assessed status since {fmt.isolate(ctx.previous.label)}",
        {
            "rec_id": "Ref",
            "before": f"At {fmt.isolate(ctx.previous.label)}",
            "now": f"At {fmt.isolate(ctx.period.label)}",
        },
    )


@section
def source_table(ctx: Context) -> HTML:
    """Recommendations implemented, by source report."""
    by_source = narrative.recommendation_counts(ctx.register, ctx.figures)["by_source"]
    frame = pd.DataFrame(
        [(k, total, implemented) for k, (implemented, total) in by_source.items()],
        columns=["source", "total", "implemented"],
    )
    return display.table(
        frame,
        "Recommendations implemented by source report",
        {"source": "Source report", "total": "Recommendations", "implemented": "Implemented"},
        numeric=["total", "implemented"],
    )
