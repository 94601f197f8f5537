"""Key figures (metrics.json), the official delivery confidence rating, and the signals.

Figures only: the summary section and ``report.narrative`` turn them into sentences. The
pipeline gives no rating of its own: ``signals`` applies each stated rule to the period's
figures and says whether its threshold is met; the only rating shown is the official one.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import finance, onboarding, recommendations, service
from audit_pipeline.measures.periods import Period, lookup

# Signal thresholds that programme.yaml has no key for: the pipeline's documented defaults
# (docs/OUTPUTS.md, "Signals"). Each is the most that meets the rule.
SIGNAL_DEFAULTS = {
    "onboarding_overdue_bodies": 0,  # bodies overdue to onboard
    "kpi_benchmark_misses": 0,  # KPI values for the period that miss their benchmark
    "mi_late_values": 0,  # KPI values for the period reported late
}
# The threshold of programme.yaml each signal uses where one exists (``thresholds.<name>``).
SIGNAL_PROGRAMME_THRESHOLDS = {"recommendations_overdue": "recommendations_overdue_share_amber"}

MET, NOT_MET, MET_INCOMPLETE, NOT_ASSESSED = "met", "not_met", "met_incomplete", "not_assessed"


def key_figures(pack, period: Period) -> dict:
    """Every figure of metrics.json for ``period``, by the definitions of OUTPUTS.md."""
    t = pack.tables
    track = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], period)
    return {
        "programme_id": pack.programme["programme_id"],
        "period_id": period.period_id,
        "period_label": period.label,
        "costs": finance.cost_figures(t["costs"], t["periods"], period),
        "estimates": finance.estimate_figures(t["estimates"], period),
        "savings": finance.savings_figures(t["savings"], t["periods"], period),
        "onboarding": onboarding.onboarding_figures(t["bodies"], period),
        "recommendations": recommendations.recommendation_figures(track),
        "service": service.service_figures(pack.transactions, period),
    }


def official_rating(delivery_confidence: pd.DataFrame, periods: pd.DataFrame, period: Period) -> dict | None:
    """The official rating for P, else the latest before it (saying which period it is from).

    ``as_at`` is the end of the period the rating was given for; ``source`` is the row's
    ``source`` cell where the table has that column (else ``None``).
    """
    starts = periods.set_index("period_id")["start_date"]
    ends = periods.set_index("period_id")["end_date"]
    rows = delivery_confidence.assign(_start=lookup(delivery_confidence["period_id"], starts))
    rows = rows[rows["_start"] <= period.start].sort_values("_start")
    if rows.empty:
        return None
    row = rows.iloc[-1]
    source = row["source"] if "source" in rows.columns and not pd.isna(row["source"]) else None
    assessor = row["assessor"] if not pd.isna(row["assessor"]) else None
    return {
        "rating": row["rating"],
        "period_id": row["period_id"],
        "assessor": assessor,
        "as_at": ends[row["period_id"]],
        "source": source,
        "line": int(row["_line"]) if "_line" in rows.columns else None,
        "current": row["period_id"] == period.period_id,
    }


def signal_thresholds(thresholds: dict) -> dict:
    """The threshold of each signal: programme.yaml's where it has one, else the documented default."""
    out = dict(SIGNAL_DEFAULTS)
    for signal, key in SIGNAL_PROGRAMME_THRESHOLDS.items():
        out[signal] = thresholds[key]
    return out


def _at_most(value: int, of: int, limit) -> str:
    return NOT_ASSESSED if of == 0 else (MET if value <= limit else NOT_MET)


def signals(figures: dict, thresholds: dict, kpi_rows: pd.DataFrame, cost_high: float | None) -> list[dict]:
    """The signals of the period: each rule's threshold, this period's value, and whether it is met.

    ``figures`` are the period's key figures; ``thresholds`` programme.yaml's (with defaults);
    ``kpi_rows`` the KPI values for P (``service.kpi_table``), with ``before_go_live`` true for a
    value whose period ended before its centre went live (not a result: it is never counted
    against its benchmark, though its timeliness is); ``cost_high`` the high end of the
    implementation cost estimate in force (``None`` when there is none).

    Each signal: ``signal`` (id), ``value`` (the count or amount), ``of`` (its denominator, or
    ``None``), ``share`` (value / of, 4 places, where the threshold is a share), ``threshold``,
    ``status``: ``met``, ``not_met``, ``met_incomplete`` (met on the returns collated, but a
    return is missing) or ``not_assessed`` (nothing to judge: no estimate, no KPI values).
    """
    limits = signal_thresholds(thresholds)
    ob, rec, c = figures["onboarding"], figures["recommendations"], figures["costs"]
    out = [
        {
            "signal": "onboarding_overdue",
            "value": ob["overdue"],
            "of": ob["bodies"],
            "share": None,
            "threshold": limits["onboarding_overdue_bodies"],
            "status": _at_most(ob["overdue"], ob["bodies"], limits["onboarding_overdue_bodies"]),
        }
    ]
    open_recs = rec["not_started"] + rec["in_progress"]
    share = round(rec["overdue"] / open_recs, 4) if open_recs else None
    limit = limits["recommendations_overdue"]
    out.append(
        {
            "signal": "recommendations_overdue",
            "value": rec["overdue"],
            "of": open_recs,
            "share": share,
            "threshold": limit,
            "status": MET if share is None or share < limit else NOT_MET,
        }
    )
    spent = round(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"], 6)
    if cost_high is None:
        status = NOT_ASSESSED
    elif spent > cost_high:
        status = NOT_MET  # already above the estimate on the returns collated: missing ones only add
    else:
        status = MET_INCOMPLETE if c["departmental_not_collated_bodies"] else MET
    out.append(
        {
            "signal": "costs_against_estimate",
            "value": spent,
            "of": None,
            "share": None,
            "threshold": cost_high,
            "status": status,
        }
    )
    results = ~kpi_rows["before_go_live"].astype(bool) if "before_go_live" in kpi_rows else True
    benchmarked = kpi_rows[kpi_rows["benchmark"].notna() & results]
    misses = int((benchmarked["against_benchmark"] == "Misses benchmark").sum())
    out.append(
        {
            "signal": "kpis_missing_benchmark",
            "value": misses,
            "of": int(len(benchmarked)),
            "share": None,
            "threshold": limits["kpi_benchmark_misses"],
            "status": _at_most(misses, len(benchmarked), limits["kpi_benchmark_misses"]),
        }
    )
    late = int(kpi_rows["late"].fillna(False).astype(bool).sum())
    out.append(
        {
            "signal": "mi_late",
            "value": late,
            "of": int(len(kpi_rows)),
            "share": None,
            "threshold": limits["mi_late_values"],
            "status": _at_most(late, len(kpi_rows), limits["mi_late_values"]),
        }
    )
    return out
