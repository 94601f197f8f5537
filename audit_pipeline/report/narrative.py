"""Generated sentences: the figures of ``measures`` told in plain English, in the report's number style.

Measures compute; this module words what they computed (the executive summary, the KPIs a
centre reported). Sections call it; it never computes a figure
that ``measures`` does not already give.
"""

from __future__ import annotations

from collections.abc import Iterable

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import Period
from audit_pipeline.report import finance_words, fmt
from audit_pipeline.report.register import catalogue as K


def reported_kpis(items: Iterable[tuple[str, float, str]]) -> str | None:
    """The KPIs a centre reported, ``name: value`` in their units, or ``None`` when it reported none."""
    return "; ".join(f"{fmt.isolate(name)}: {fmt.measure(value, unit)}" for name, value, unit in items) or None


def recommendation_counts(reg, figures: dict) -> dict:
    """Register the recommendation counts of the period (with the recommendations each counts); marked displays."""
    track = K.tracker(reg)
    what = "Recommendations made by End (source_date on or before End)"
    shown = {
        "total": K.recommendation_count(
            reg, track, "total", track["rec_id"].notna(), "Recommendations in scope", what + "."
        )
    }
    for status in ("implemented", "in_progress", "not_started", "superseded", "not_implemented"):
        shown[status] = K.recommendation_count(
            reg,
            track,
            status,
            track["status"] == status,
            f"Recommendations {status.replace('_', ' ')}",
            K.REC_DEFINITION.format(status=status),
        )
    shown["overdue"] = K.recommendation_count(
        reg,
        track,
        "overdue",
        track["overdue"],
        "Recommendations overdue",
        "Recommendations in scope with status not_started or in_progress whose target date in force is before End.",
    )
    shown["reported_not_confirmed"] = K.recommendation_count(
        reg,
        track,
        "reported_not_confirmed",
        track["reported_not_confirmed"],
        "Recommendations reported implemented, not confirmed",
        "Recommendations whose latest row's reported_status is implemented and whose status is not.",
    )
    # Recommendations in force: the denominator of the implementation rate, stated wherever a share is quoted.
    in_force = set(track.loc[track["status"] != "superseded", "rec_id"])
    recs = reg.pack.tables["recommendations"]
    shown["in_force"] = reg.add(
        "recommendations.in_force",
        len(in_force),
        fmt.count(len(in_force)),
        label="Recommendations in force",
        unit="recommendations",
        definition="Recommendations in scope whose status at P is not superseded (total - superseded).",
        inputs=[
            reg.rows(
                "recommendations", recs["rec_id"].isin(in_force), f"in scope at {reg.period.period_id}, not superseded"
            )
        ],
        function=K.M + "recommendations.recommendation_figures",
        check={"op": "count"},
    )
    rec = figures["recommendations"]
    shown["implementation_rate"] = reg.add(
        "recommendations.implementation_rate",
        rec["implementation_rate"],
        fmt.share(rec["implementation_rate"]),
        label="Implementation rate",
        unit="share",
        definition="implemented / (total - superseded), rounded to 4 places (null when the denominator is 0).",
        inputs=[],
        function=K.M + "recommendations.recommendation_figures",
        check={
            "op": "rate",
            "numerator": "recommendations.implemented",
            "total": "recommendations.total",
            "less": "recommendations.superseded",
        },
        metric="recommendations.implementation_rate",
    )
    by_source = {}
    for source in rec["by_source"]:
        slug = K._slug(source)
        these = track["source_report"] == source
        by_source[source] = (
            K.recommendation_count(
                reg,
                track,
                f"by_source.{slug}.implemented",
                these & (track["status"] == "implemented"),
                f"Recommendations from {source} implemented",
                K.REC_DEFINITION.format(status=f"implemented, from {source}"),
            ),
            K.recommendation_count(
                reg,
                track,
                f"by_source.{slug}.total",
                these,
                f"Recommendations from {source}",
                what + f", from {source}.",
            ),
        )
    shown["by_source"] = by_source
    return shown


def executive_summary(pack, period: Period, figures: dict, reg) -> list[str]:
    """Plain-English sentences from the figures: costs, savings, onboarding, recommendations.

    Missing data is said to be missing; an incomplete total is stated as "at least". Every number
    is a figure of the register ``reg``.
    """
    t = pack.tables
    now = finance.estimates_in_force(t["estimates"], period.end)
    c, s, ob = figures["costs"], figures["savings"], figures["onboarding"]
    key = lambda path: K.key(reg, figures, path)  # noqa: E731
    sentences = []
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    missing = c["departmental_not_collated_bodies"]
    cost_text = K.total_costs(reg, figures, fmt.money(spent))  # "at least ..." when a return was not collated
    if missing:
        noun = "body's" if missing == 1 else "bodies'"
        cost_text = f"{cost_text} ({key('costs.departmental_not_collated_bodies')} {noun} costs not collated)"
    cost_est = finance.find_estimate(now, "implementation_cost")
    sentence = f"By the end of {fmt.isolate(period.label)}, implementation costs reported to date were {cost_text}"
    if cost_est is not None:
        sentence += f", against an estimated implementation cost of {K.estimate_range(reg, cost_est)}"
    sentences.append(sentence + ".")
    if missing:
        sentences.append(
            f"The total cost to participating bodies has not been collated: {K.noun(key('costs.departmental_not_collated_bodies'), missing, 'body', 'bodies')} "
            "did not report departmental implementation costs, so the total is incomplete."
        )
    # like with like: the total to date against the cumulative estimate; the annual estimate against the run rate
    sentence = f"Savings attributed to shared services to date were {key('savings.shared_services_to_date_gbp_m')}"
    sentences.append(sentence + finance_words.cumulative_clause(reg, t, period) + ".")
    sentences += finance_words.summary_sentences(reg, figures, t, period)
    others = [
        f"{key('savings.reduced_activity_to_date_gbp_m')} from reduced activity"
        if s["reduced_activity_to_date_gbp_m"]
        else "",
        f"{key('savings.unattributed_to_date_gbp_m')} not attributed" if s["unattributed_to_date_gbp_m"] else "",
    ]
    others = [o for o in others if o]
    if others:
        sentences.append(
            f"Savings reported apart from the programme: {' and '.join(others)}; these are not counted as programme savings."
        )
    if s["not_collated_rows"]:
        sentences.append(
            f"{K.noun(key('savings.not_collated_rows'), s['not_collated_rows'], 'savings return')} had not been collated, so savings may be understated."
        )
    sentences.append(
        f"{key('onboarding.onboarded')} of {K.noun(key('onboarding.bodies'), ob['bodies'], 'participating body', 'participating bodies')} had been onboarded, "
        f"serving {key('onboarding.customers_served')} customers; {K.noun(key('onboarding.overdue'), ob['overdue'], 'body was', 'bodies were')} overdue against plan."
    )
    rec, n = recommendation_counts(reg, figures), figures["recommendations"]
    sources = "; ".join(f"{i} of {t_} from {fmt.isolate(k)}" for k, (i, t_) in rec["by_source"].items())
    # Denominators explicit: the recommendations made, those superseded, and those in force.
    sentence = (
        f"Of {K.noun(rec['total'], n['total'], 'recommendation')} made by the end of {fmt.isolate(period.label)}, "
    )
    if n["superseded"]:
        sentence += f"{rec['superseded']} had been superseded, leaving {rec['in_force']} in force; "
    else:
        sentence += f"none had been superseded, so all {rec['in_force']} were in force; "
    sentence += f"{rec['implemented']} of the {rec['in_force']} in force had been implemented ({sources})"
    sentence += f", {rec['in_progress']} in progress and {rec['not_started']} not started"
    if n["not_implemented"]:
        sentence += f"; {rec['not_implemented']} will not be implemented"
    sentence += f"; {rec['overdue']} overdue"
    sentences.append(sentence + ".")
    if n["reported_not_confirmed"]:
        sentences.append(
            f"{K.noun(rec['reported_not_confirmed'], n['reported_not_confirmed'], 'recommendation was', 'recommendations were')} reported as implemented by the responsible body but not confirmed by audit."
        )
    return sentences
