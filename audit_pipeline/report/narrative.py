"""Generated sentences: the figures of ``measures`` told in plain English, in the report's number style.

Measures compute; this module words what they computed (the executive summary, the basis of
the derived rating, the KPIs a centre reported). Sections call it; it never computes a figure
that ``measures`` does not already give.
"""

from __future__ import annotations

from collections.abc import Iterable

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import Period
from audit_pipeline.measures.summary import derived_concerns
from audit_pipeline.report import fmt

DERIVED_LABEL = "Derived by this pipeline from its own rules; not the official delivery confidence rating"


def concern_text(concern: dict) -> str:
    """One concern behind the derived rating, in words: ``2 bodies overdue to onboard``."""
    if concern["concern"] == "onboarding_overdue":
        return f"{fmt.count(concern['count'], 'body', 'bodies')} overdue to onboard"
    if concern["concern"] == "recommendations_overdue":
        return f"{fmt.count(concern['count'], 'recommendation')} overdue"
    return "costs to date above the implementation cost estimate"


def derived_rating(figures: dict, thresholds: dict) -> dict:
    """The derived rating (``measures.summary.derived_concerns``) with its reasons in words and its label.

    Always labelled as derived: it is never the official delivery confidence rating.
    """
    derived = derived_concerns(figures, thresholds)
    reasons = [concern_text(c) for c in derived["concerns"]]
    return {"rating": derived["rating"], "reasons": reasons, "label": DERIVED_LABEL}


def reported_kpis(items: Iterable[tuple[str, float, str]]) -> str | None:
    """The KPIs a centre reported, ``name: value`` in their units, or ``None`` when it reported none."""
    return "; ".join(f"{fmt.isolate(name)}: {fmt.measure(value, unit)}" for name, value, unit in items) or None


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
    sentence = f"By the end of {fmt.isolate(period.label)}, implementation costs reported to date were {cost_text}"
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
        sentence += f"; the annual savings estimate in force is {fmt.money_range(save_est['low_gbp_m'], save_est['high_gbp_m'])} a year ({fmt.isolate(save_est['scope'])})"
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
    sources = "; ".join(
        f"{v['implemented']} of {v['total']} from {fmt.isolate(k)}" for k, v in rec["by_source"].items()
    )
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
