"""Key figures (metrics.json), the derived rating, and the executive summary in plain English."""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import finance, onboarding, recommendations, service
from audit_pipeline.measures.periods import Period
from audit_pipeline.report import fmt

DERIVED_LABEL = "Derived by this pipeline from its own rules; not the official delivery confidence rating"


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
    rows = delivery_confidence.assign(_start=delivery_confidence["period_id"].map(starts))
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


def derived_rating(figures: dict, thresholds: dict) -> dict:
    """A rating on the official five-point scale from this pipeline's own rules (always labelled as derived).

    Rules: each concern scores 0 (none), 1 (amber) or 2 (red); the sum maps to
    green (0), amber_green (1), amber (2), amber_red (3), red (4+). Concerns:
    onboarding overdue (any body overdue: 1; a quarter or more of those due: 2);
    recommendations overdue (share of open ones at or above the amber/red thresholds);
    costs to date above the high implementation cost estimate (2).
    """
    reasons, score = [], 0
    ob = figures["onboarding"]
    due = ob["onboarded"] + ob["overdue"]
    if ob["overdue"]:
        points = 2 if due and ob["overdue"] / due >= 0.25 else 1
        score += points
        reasons.append(f"{fmt.count(ob['overdue'], 'body', 'bodies')} overdue to onboard")
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
            reasons.append(f"{fmt.count(rec['overdue'], 'recommendation')} overdue")
    cost = next((e for e in figures["estimates"] if e["measure"] == "implementation_cost"), None)
    spent = figures["costs"]["central_programme_to_date_gbp_m"] + figures["costs"]["departmental_to_date_gbp_m"]
    if cost and spent > cost["high_gbp_m"]:
        score += 2
        reasons.append("costs to date above the implementation cost estimate")
    scale = ["green", "amber_green", "amber", "amber_red", "red"]
    return {"rating": scale[min(score, 4)], "reasons": reasons, "label": DERIVED_LABEL}


def executive_summary(pack, period: Period, figures: dict) -> list[str]:
    """Plain-English sentences from the figures: costs, savings, onboarding, recommendations.

    Missing data is said to be missing; an incomplete total is stated as "at least".
    """
    t = pack.tables
    now = finance.estimates_in_force(t["estimates"], period.end)
    c, s, ob, rec = figures["costs"], figures["savings"], figures["onboarding"], figures["recommendations"]
    sentences = []
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    cost_text = fmt.at_least(spent, c["departmental_not_collated_bodies"])
    cost_est = finance.find_estimate(now, "implementation_cost")
    sentence = f"By the end of {period.label}, implementation costs reported to date were {cost_text}"
    if cost_est is not None:
        sentence += f", against an estimated implementation cost of {fmt.money_range(cost_est['low_gbp_m'], cost_est['high_gbp_m'])}"
    sentences.append(sentence + ".")
    if c["departmental_not_collated_bodies"]:
        sentences.append(
            f"The total cost to participating bodies has not been collated: {fmt.count(c['departmental_not_collated_bodies'], 'body', 'bodies')} "
            "did not report departmental implementation costs, so the total is incomplete."
        )
    save_est = finance.find_estimate(now, "annual_savings")
    sentence = f"Savings attributed to shared services to date were {fmt.money(s['shared_services_to_date_gbp_m'])}"
    if save_est is not None:
        sentence += f"; the annual savings estimate in force is {fmt.money_range(save_est['low_gbp_m'], save_est['high_gbp_m'])} a year ({save_est['scope']})"
    sentences.append(sentence + ".")
    others = [
        f"{fmt.money(s['reduced_activity_to_date_gbp_m'])} from reduced activity"
        if s["reduced_activity_to_date_gbp_m"]
        else "",
        f"{fmt.money(s['unattributed_to_date_gbp_m'])} not attributed" if s["unattributed_to_date_gbp_m"] else "",
    ]
    others = [o for o in others if o]
    if others:
        sentences.append(
            f"Savings reported apart from the programme: {' and '.join(others)}; these are not counted as programme savings."
        )
    if s["not_collated_rows"]:
        sentences.append(
            f"{fmt.count(s['not_collated_rows'], 'savings return')} had not been collated, so savings may be understated."
        )
    sentences.append(
        f"{fmt.count(ob['onboarded'])} of {fmt.count(ob['bodies'], 'participating body', 'participating bodies')} had been onboarded, "
        f"serving {fmt.count(ob['customers_served'])} customers; {fmt.count(ob['overdue'], 'body was', 'bodies were')} overdue against plan."
    )
    sources = "; ".join(f"{v['implemented']} of {v['total']} from {k}" for k, v in rec["by_source"].items())
    sentence = (
        f"Of {fmt.count(rec['total'], 'recommendation')} tracked, {rec['implemented']} had been implemented ({sources})"
    )
    sentence += f", {rec['in_progress']} in progress and {rec['not_started']} not started; {rec['overdue']} overdue"
    sentences.append(sentence + ".")
    if rec["reported_not_confirmed"]:
        sentences.append(
            f"{fmt.count(rec['reported_not_confirmed'], 'recommendation was', 'recommendations were')} reported as implemented by the responsible body but not confirmed by audit."
        )
    return sentences
