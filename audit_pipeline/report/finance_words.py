"""Sentences that compare like with like: savings to date against the cumulative estimate, the
annual estimate against the annualised run rate, the net position, savings by evidence level.

Used by the costs section, the headline tiles and the executive summary, so that each says the
same thing. Every number is a registered figure; a total that a not-collated return would enter
says "at least", and a comparison the data cannot support is said to be impossible, not made.
"""

from __future__ import annotations

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import Period, period_of
from audit_pipeline.report import fmt
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import finance as RF

SAVINGS = "savings.shared_services_to_date_gbp_m"
COSTS = ("costs.central_programme_to_date_gbp_m", "costs.departmental_to_date_gbp_m")
SPAN = {1: "the period", 2: "the two half-years", 4: "the four quarters", 12: "the twelve months"}


def state(reg, paths) -> str:
    """``complete``, ``at_least`` (a return not collated) or ``not_collated`` (nothing collated) for
    a sum to date or the sum of several."""
    counts = [K.collation(reg, p) for p in paths]
    if all(missing and not actual for actual, missing in counts):
        return "not_collated"
    return "at_least" if any(missing for _, missing in counts) else "complete"


def _in_force(tables: dict, period: Period, measure: str):
    now = finance.estimates_in_force(tables["estimates"], period.end)
    return [row for _, row in now[now["measure"] == measure].iterrows()]


def _annual_ranges(reg, rows) -> str:
    return " and ".join(f"{K.estimate_range(reg, r)} a year ({fmt.isolate(r['scope'])})" for r in rows)


def _span(reg, rate: dict, period: Period, labels: bool = True) -> str:
    """``the four quarters to 31 March 2016 (2015-16 Q1 to 2015-16 Q4)``; without the labels for a tile."""
    span = f"{SPAN.get(len(rate['period_ids']), 'the periods')} to {fmt.date(period.end)}"
    if not labels:
        return span
    periods = reg.pack.tables["periods"]
    first, last = (period_of(periods, rate["period_ids"][i]).label for i in (0, -1))
    named = fmt.isolate(first) if first == last else f"{fmt.isolate(first)} to {fmt.isolate(last)}"
    return f"{span} ({named})"


def cumulative_clause(reg, tables: dict, period: Period) -> str:
    """What follows "programme savings to date were £X": the cumulative savings estimate in force
    (a total against a total), or that none was in force."""
    rows = _in_force(tables, period, "cumulative_savings")
    if not rows:
        return (
            f"; no cumulative savings estimate was in force at {fmt.date(period.end)} to set them against "
            "(an annual estimate is a rate a year, not a total to date)"
        )
    against = "; and ".join(
        f"{K.estimate_range(reg, r)}"
        + (f" by {fmt.isolate(r['horizon'])}" if isinstance(r["horizon"], str) and r["horizon"] else "")
        + f" ({fmt.isolate(r['scope'])}, made on {fmt.date(r['as_at'])})"
        for r in rows
    )
    return f", against the cumulative savings estimate in force of {against}"


def cumulative_sentence(reg, figures: dict, tables: dict, period: Period) -> str:
    """Programme savings to date against the cumulative savings estimate in force."""
    if K.collation(reg, SAVINGS) == (0, 0):
        return (
            f"No programme savings had been recorded by {fmt.date(period.end)}"
            + cumulative_clause(reg, tables, period).replace(" to set them against", "")
            + "."
        )
    return f"Programme savings to date were {K.key(reg, figures, SAVINGS)}{cumulative_clause(reg, tables, period)}."


def annual_sentence(reg, figures: dict, tables: dict, period: Period) -> str | None:
    """The annual savings estimate against the annualised run rate (a rate against a rate), or why not."""
    t = reg.pack.tables
    rate = finance.run_rate(t["savings"], t["periods"], period)
    rows = _in_force(tables, period, "annual_savings")
    if rate is None:
        if not rows:
            return None
        return (
            f"The annual savings estimate in force, {_annual_ranges(reg, rows)}, cannot yet be set against savings: "
            f"the periods recorded do not cover the twelve months to {fmt.date(period.end)}, so there is no annual rate."
        )
    if rate["not_collated_rows"] and not rate["actual_rows"]:
        return f"Programme savings for {_span(reg, rate, period)} were not collated, so there is no annual rate to set against an estimate."
    ran = f"Annualised from {_span(reg, rate, period)}, programme savings came to {RF.run_rate(reg, figures, rate)} a year"
    if not rows:
        return ran + "; no annual savings estimate is in force."
    return f"{ran}, against the annual savings estimate in force of {_annual_ranges(reg, rows)}."


def savings_comparison(reg, figures: dict, tables: dict, period: Period) -> list[str]:
    """Both comparisons: the total to date against the cumulative estimate, the rate against the annual one."""
    return [
        s
        for s in (cumulative_sentence(reg, figures, tables, period), annual_sentence(reg, figures, tables, period))
        if s
    ]


def summary_sentences(reg, figures: dict, tables: dict, period: Period) -> list[str]:
    """For the executive summary, after savings to date: the run rate against the annual estimate,
    savings by evidence level, and the net position."""
    found = [annual_sentence(reg, figures, tables, period), evidence_sentence(reg, figures)]
    return [s for s in found if s] + [net_position_sentence(reg, figures, period)]


def headline_comparison(reg, figures: dict, tables: dict, period: Period) -> str:
    """The comparison point of the savings tile: the cumulative estimate in force, and the run rate
    against the annual estimate (never the total to date against an annual estimate)."""
    now = finance.estimates_in_force(tables["estimates"], period.end)
    cumulative, annual = finance.find_estimate(now, "cumulative_savings"), finance.find_estimate(now, "annual_savings")
    parts = []
    if cumulative is not None:
        horizon = cumulative["horizon"]
        by = f" by {fmt.isolate(horizon)}" if isinstance(horizon, str) and horizon else ""
        parts.append(
            f"Cumulative estimate: {K.estimate_range(reg, cumulative)}{by} ({fmt.isolate(cumulative['scope'])})."
        )
    t = reg.pack.tables
    rate = finance.run_rate(t["savings"], t["periods"], period)
    estimate = f"{K.estimate_range(reg, annual)} a year ({fmt.isolate(annual['scope'])})" if annual is not None else ""
    if rate is not None and not (rate["not_collated_rows"] and not rate["actual_rows"]):
        text = f"Annualised over {_span(reg, rate, period, labels=False)}: {RF.run_rate(reg, figures, rate)} a year"
        parts.append(text + (f", against an annual estimate of {estimate}." if estimate else "."))
    elif estimate:
        parts.append(f"Annual estimate {estimate}: not comparable until twelve months are recorded.")
    return " ".join(parts) or "No savings estimate in the pack."


def net_position_sentence(reg, figures: dict, period: Period) -> str:
    """Programme savings to date against implementation costs to date, as far as the data allow."""
    c, s = figures["costs"], figures["savings"]
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    costs_text = K.total_costs(reg, figures, fmt.money(spent))  # "at least ..." or "not collated"
    cost_state, saving_state = state(reg, COSTS), state(reg, [SAVINGS])
    if K.collation(reg, SAVINGS) == (0, 0):
        return f"No programme savings had been recorded by {fmt.date(period.end)}, against implementation costs to date of {costs_text}."
    saved = K.key(reg, figures, SAVINGS)
    result = finance.net_position(s["shared_services_to_date_gbp_m"], saving_state, spent, cost_state)
    if result == "savings_below":
        tail = ": the costs not yet collated can only widen the gap" if cost_state == "at_least" else ""
        return f"Net position: programme savings to date ({saved}) were less than implementation costs to date ({costs_text}){tail}."
    if result == "savings_above":
        tail = ": the savings not yet collated can only add to them" if saving_state == "at_least" else ""
        return f"Net position: programme savings to date ({saved}) exceeded implementation costs to date ({costs_text}){tail}."
    if result == "equal":
        return (
            f"Net position: programme savings to date ({saved}) equalled implementation costs to date ({costs_text})."
        )
    if "not_collated" in (saving_state, cost_state):
        reason = (
            "no programme savings return has been collated"
            if saving_state == "not_collated"
            else "no cost return has been collated"
        )
    else:
        which = [w for w, st in (("savings", saving_state), ("costs", cost_state)) if st == "at_least"]
        reason = f"returns of {' and '.join(which)} not yet collated could change which is larger"
    return (
        f"Net position: programme savings to date ({saved}) cannot yet be set against implementation costs to date "
        f"({costs_text}): {reason}."
    )


def evidence_sentence(reg, figures: dict) -> str | None:
    """Programme savings to date by the auditor's evidence grading, with any dis-savings; ``None``
    when no programme savings return has been collated."""
    if state(reg, [SAVINGS]) == "not_collated" or not K.collation(reg, SAVINGS)[0]:
        return None
    level = {name: RF.evidence(reg, figures, name) for name in finance.EVIDENCE_LEVELS}
    sentence = (
        f"Of programme savings to date ({K.key(reg, figures, SAVINGS)}), {level['sufficient']} was supported by "
        f"sufficient evidence, {level['partial']} by partial evidence and {level['insufficient']} by insufficient "
        f"evidence; {level['ungraded']} had not been graded."
    )
    s = figures["savings"]
    if s["dis_savings_rows"]:
        n = s["dis_savings_rows"]
        count = K.noun(RF.dis_savings(reg, figures, "rows"), n, "dis-saving")
        what = "a negative saving" if n == 1 else "negative savings"
        sentence += f" They are net of {count} ({what}) of {RF.dis_savings(reg, figures, 'gbp_m')}."
    return sentence
