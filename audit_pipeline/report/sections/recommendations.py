"""Section 05, notebooks/05_recommendations: the tracker, evidence, overdue items, revisions and changes."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import periods as P
from audit_pipeline.measures import recommendations
from audit_pipeline.pack.contract import REC_STATUSES
from audit_pipeline.report import display, fmt, narrative
from audit_pipeline.report.context import Context, Figures
from audit_pipeline.report.register import Register, section
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import charts as chart_data
from audit_pipeline.report.sections.common import period_labels

SOURCE = "the programme's data pack, tables recommendations and recommendation_status (the auditor's assessments)."
# The headline figures whose movement "Changes since the previous period" shows: (row, what to register).
HEADLINES = (
    ("Implementation costs to date (£ million)", "costs.total"),
    ("Programme savings to date, shared services (£ million)", "savings.shared_services_to_date_gbp_m"),
    ("Customers served", "onboarding.customers_served"),
    ("Bodies onboarded", "onboarding.onboarded"),
    ("Bodies overdue to onboard", "onboarding.overdue"),
    ("Recommendations implemented", "recommendations.implemented"),
    ("Recommendations overdue", "recommendations.overdue"),
)


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
    return display.figure(
        charts.recommendation_status(series, shown),
        "Recommendations by assessed status over time",
        source=SOURCE,
        notes="At each period's end, the recommendations made by then, by the auditor's assessed status "
        "(not the status the responsible body reported).",
    )


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
        source=SOURCE,
        notes="Assessed status is the auditor's, from the latest assessment up to this period; reported status is "
        "the responsible body's. The target date in force is the latest revised date, else the original one. "
        "Recommendations made after the period's end are left out.",
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
        source=SOURCE,
        notes="Every revision of a target date up to this period, with the reason the responsible body gave.",
    )


def _change_words(row) -> str:
    """What changed for one recommendation since the previous period, in words."""
    words = []
    if row["new"]:
        words.append("Made since the previous period")
    elif row["status"] != row["previous_status"]:
        words.append("Assessed status changed")
    if row["redated"] and not row["left_overdue_by_redating"]:
        words.append("Target date moved")
    if row["left_overdue_by_redating"]:
        words.append("Left the overdue list only because its target date moved: not because it was implemented")
    elif row["overdue_before"] and not row["overdue_now"]:
        words.append(f"Left the overdue list: now {fmt.words(row['status']).lower()}")
    elif row["overdue_now"] and not row["overdue_before"]:
        words.append(
            "Became overdue" + (" after its target date moved" if row["redated"] else ": its target date passed")
        )
    return "; ".join(words)


def _target_words(row) -> str:
    now = fmt.date(row["target_now"]) if not pd.isna(row["target_now"]) else "None set"
    if row["redated"]:
        was = fmt.date(row["target_before"]) if not pd.isna(row["target_before"]) else "none set"
        return f"{now} (was {was})"
    return now


@section
def changes_table(ctx: Context) -> HTML:
    """What changed for each recommendation since the previous period: made since then, assessed status,
    target date moved (re-dated), onto or off the overdue list (or that there is no previous period)."""
    if ctx.previous is None:
        return display.paragraphs(
            ["This is the first period in the pack, so there is no previous period to compare with."]
        )
    table = recommendations.movements_since(_tracker(ctx), _tracker(ctx, ctx.previous))
    table["now"] = table["status"].map(fmt.words)
    table["before"] = [
        "Not yet made" if new else fmt.words(s) for new, s in zip(table["new"], table["previous_status"], strict=True)
    ]
    table["target"] = [_target_words(row) for _, row in table.iterrows()]
    table["change"] = [_change_words(row) for _, row in table.iterrows()]
    return display.table(
        table,
        f"Changes since {fmt.isolate(ctx.previous.label)}: assessed status, target dates moved and the overdue list",
        {
            "rec_id": "Ref",
            "before": f"At {fmt.isolate(ctx.previous.label)}",
            "now": f"At {fmt.isolate(ctx.period.label)}",
            "target": "Target date in force",
            "change": "Change",
        },
        empty="No recommendation changed since the previous period.",
        source=SOURCE,
        notes="Statuses are the auditor's assessed statuses. A recommendation is overdue when it is not started or "
        "in progress and its target date in force has passed; a moved target date takes it off the overdue list "
        "without any progress, and the table says so.",
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
        source=SOURCE,
        notes="Recommendations made by the period's end, by the report that made them; implemented as assessed "
        "by the auditor.",
    )


def _headline(reg, figures, what: str) -> tuple[str, str]:
    """Register the headline figure ``what`` (``HEADLINES``) in ``reg`` as a table shows it (£ million to
    one decimal place); its figure id and that display."""
    if what == "costs.total":
        c = figures["costs"]
        display = fmt.money_cell(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"])
        paths = ("costs.central_programme_to_date_gbp_m", "costs.departmental_to_date_gbp_m")
        if all(K.not_collated(reg, p) for p in paths):  # as total_costs: missing, never £0
            display = fmt.NOT_COLLATED
        K.total_costs(reg, figures, display)
        return "costs.total_to_date", display
    if what.startswith("recommendations."):
        narrative.recommendation_counts(reg, figures)
        return what, reg.entries[what]["display"]
    display = None
    if K.KEYS[what][2] == "gbp_m":
        value = figures[what.split(".")[0]][what.split(".")[1]]
        display = fmt.NOT_COLLATED if K.not_collated(reg, what) else fmt.money_cell(value)
    K.key(reg, figures, what, display)
    figure_id = K.KEYS[what][0]
    return figure_id, display or reg.entries[figure_id]["display"]


def _previous_headline(ctx: Context, what: str) -> tuple[dict, str]:
    """A headline figure at the previous period, registered as ``previous.<id>`` with the rows of that period."""
    earlier = ctx.register.memo(
        ("previous", ctx.previous.period_id),
        lambda: (Register(ctx.pack, ctx.previous), Figures(ctx.pack, ctx.previous)),
    )
    figure_id, display = _headline(earlier[0], earlier[1], what)
    entry = earlier[0].entries[figure_id]
    shown = ctx.register.add(
        f"previous.{figure_id}",
        entry["value"],
        display,
        label=f"{entry['label']}, at the previous period",
        unit=entry["unit"],
        definition=f"{entry['definition']} At the previous period's end.",
        inputs=entry["inputs"],
        function=entry["function"],
        complete=entry["complete"],
        check=entry["check"],
    )
    return {**entry, "display": display}, shown


def _movement(before: dict, now: dict) -> str:
    """Up, down or no change, in words (every number is in the row already)."""
    if fmt.NOT_COLLATED in (before["display"], now["display"]) or None in (before["value"], now["value"]):
        return "Not comparable: not collated"
    word = "Up" if now["value"] > before["value"] else "Down" if now["value"] < before["value"] else "No change"
    if not (before["complete"] and now["complete"]):
        word += " (totals with returns not collated)"
    return word


@section
def headline_changes(ctx: Context) -> HTML:
    """The headline figures at the previous period and now (or that there is no previous period)."""
    if ctx.previous is None:
        return display.paragraphs(
            ["This is the first period in the pack, so the headline figures have nothing to move from."]
        )
    rows = []
    for label, what in HEADLINES:
        before, before_shown = _previous_headline(ctx, what)
        figure_id, text = _headline(ctx.register, ctx.figures, what)
        now = {**ctx.register.entries[figure_id], "display": text}
        rows.append((label, before_shown, ctx.register.again(figure_id, text), _movement(before, now)))
    frame = pd.DataFrame(rows, columns=["what", "before", "now", "movement"])
    return display.table(
        frame,
        f"Headline figures at {fmt.isolate(ctx.previous.label)} and at {fmt.isolate(ctx.period.label)}",
        {
            "what": "Headline figure",
            "before": f"At {fmt.isolate(ctx.previous.label)}",
            "now": f"At {fmt.isolate(ctx.period.label)}",
            "movement": "Movement",
        },
        numeric=["before", "now"],
        source="the programme's data pack, tables costs, savings, bodies, recommendations and "
        "recommendation_status, as at each period's end.",
        notes="Each figure is computed the same way at both periods, from the rows up to that period. "
        "Costs and savings are to date; a total that misses returns not collated is at least the amount shown.",
    )
