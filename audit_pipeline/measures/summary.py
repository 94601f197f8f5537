"""Key figures (metrics.json), the official delivery confidence rating, and the pipeline's derived rating.

Figures only: ``report.narrative`` turns them into sentences.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import finance, onboarding, recommendations, service
from audit_pipeline.measures.periods import Period, lookup

# The official five-point delivery confidence scale, best first.
RATING_SCALE = ("green", "amber_green", "amber", "amber_red", "red")


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
    """The official rating for P, else the latest before it (saying which period it is from)."""
    starts = periods.set_index("period_id")["start_date"]
    rows = delivery_confidence.assign(_start=lookup(delivery_confidence["period_id"], starts))
    rows = rows[rows["_start"] <= period.start].sort_values("_start")
    if rows.empty:
        return None
    row = rows.iloc[-1]
    return {
        "rating": row["rating"],
        "period_id": row["period_id"],
        "assessor": row["assessor"],
        "current": row["period_id"] == period.period_id,
    }


def derived_concerns(figures: dict, thresholds: dict) -> dict:
    """A rating on the official five-point scale from this pipeline's own rules, and the concerns behind it.

    Rules: each concern scores 0 (none), 1 (amber) or 2 (red); the sum maps to
    green (0), amber_green (1), amber (2), amber_red (3), red (4+). Concerns:
    onboarding overdue (any body overdue: 1; a quarter or more of those due: 2);
    recommendations overdue (share of open ones at or above the amber/red thresholds);
    costs to date above the high implementation cost estimate (2).

    Returns ``{"rating": ..., "concerns": [{"concern": ..., "count": ..., "points": ...}]}``, listing
    only the concerns that scored; ``report.narrative.derived_rating`` words them.
    """
    concerns, score = [], 0
    ob = figures["onboarding"]
    due = ob["onboarded"] + ob["overdue"]
    if ob["overdue"]:
        points = 2 if due and ob["overdue"] / due >= 0.25 else 1
        score += points
        concerns.append({"concern": "onboarding_overdue", "count": ob["overdue"], "points": points})
    rec = figures["recommendations"]
    open_recs = rec["not_started"] + rec["in_progress"]
    if rec["overdue"] and open_recs:
        overdue_share = rec["overdue"] / open_recs
        points = (
            2
            if overdue_share >= thresholds["recommendations_overdue_share_red"]
            else 1
            if overdue_share >= thresholds["recommendations_overdue_share_amber"]
            else 0
        )
        score += points
        if points:
            concerns.append({"concern": "recommendations_overdue", "count": rec["overdue"], "points": points})
    cost = next((e for e in figures["estimates"] if e["measure"] == "implementation_cost"), None)
    spent = figures["costs"]["central_programme_to_date_gbp_m"] + figures["costs"]["departmental_to_date_gbp_m"]
    if cost and spent > cost["high_gbp_m"]:
        score += 2
        concerns.append({"concern": "costs_above_estimate", "count": None, "points": 2})
    return {"rating": RATING_SCALE[min(score, len(RATING_SCALE) - 1)], "concerns": concerns}
