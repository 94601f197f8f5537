"""Section 01, notebooks/01_summary: title, headline figures, executive summary, delivery confidence."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.measures.summary import official_rating
from audit_pipeline.report import display, finance_words, fmt, narrative
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import section


@section
def title_block(ctx: Context) -> HTML:
    """Programme, period and the date the data are as at."""
    prog = ctx.pack.programme
    return HTML(
        '<div class="title-block">'
        f'<p class="programme">{display.data(prog["name"])} ({display.data(prog["sponsor"])})</p>'
        f'<p class="period">Period reported: {display.data(ctx.period.label)} '
        f"({fmt.date(ctx.period.start)} to {fmt.date(ctx.period.end)}), financial year {fmt.financial_year(ctx.period.end)}</p>"
        f'<p class="as-at">Data as at {fmt.date(ctx.period.end)}</p></div>'
    )


@section
def headlines(ctx: Context) -> HTML:
    """Headline figures, each with its comparison point (every number a registered figure)."""
    f, reg = ctx.figures, ctx.register
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    c = f["costs"]
    key = lambda path: K.key(reg, f, path)  # noqa: E731
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    missing = c["departmental_not_collated_bodies"]
    cost_est = finance.find_estimate(now, "implementation_cost")
    rec = narrative.recommendation_counts(reg, f)
    by_source = "; ".join(f"{i} of {t} {fmt.isolate(k)}" for k, (i, t) in rec["by_source"].items())
    items = [
        (
            "Implementation costs to date",
            K.total_costs(reg, f, fmt.money(spent)),  # "at least ..." when a return was not collated
            (f"Estimate: {K.estimate_range(reg, cost_est)}." if cost_est is not None else "No estimate in the pack.")
            + (
                f" Incomplete: {K.noun(key('costs.departmental_not_collated_bodies'), missing, 'body has', 'bodies have')} not collated departmental costs."
                if missing
                else ""
            ),
        ),
        (
            "Programme savings to date (shared services only)",
            key("savings.shared_services_to_date_gbp_m"),
            finance_words.headline_comparison(
                reg, f, ctx.tables, ctx.period
            ),  # never a total against an annual estimate
        ),
        (
            "Customers served",
            key("onboarding.customers_served"),
            f"{key('onboarding.onboarded')} of {key('onboarding.bodies')} bodies onboarded; {key('onboarding.overdue')} overdue",
        ),
        (
            "Recommendations implemented",
            f"{rec['implemented']} of {rec['total']}",
            f"Implementation rate {rec['implementation_rate']}; {rec['overdue']} overdue"
            + (f". By source: {by_source}" if by_source else ""),
        ),
    ]
    return HTML(display.headline_html(items))


@section
def summary_text(ctx: Context) -> HTML:
    """The executive summary, generated from the figures."""
    return display.paragraphs(narrative.executive_summary(ctx.pack, ctx.period, ctx.figures, ctx.register))


@section
def ratings(ctx: Context) -> HTML:
    """The official delivery confidence rating (if any) beside the pipeline's derived rating."""
    official = official_rating(ctx.tables["delivery_confidence"], ctx.tables["periods"], ctx.period)
    derived = narrative.derived_rating(ctx.figures, ctx.thresholds, ctx.register)
    rows = []
    if official:
        when = "this period" if official["current"] else f"latest available, from {official['period_id']}"
        assessor = official["assessor"] or "assessor not stated"
        rows.append(
            ("Official delivery confidence", fmt.words(official["rating"]), f"{fmt.isolate(assessor)} ({when})")
        )
    else:
        rows.append(
            (
                "Official delivery confidence",
                "Not available",
                "The data pack holds no official rating up to this period",
            )
        )
    reasons = "; ".join(derived["reasons"]) or "no concerns under the pipeline's rules"
    rows.append(("Derived rating", fmt.words(derived["rating"]), f"{derived['label']}. Basis: {reasons}."))
    frame = pd.DataFrame(rows, columns=["what", "rating", "basis"])
    return display.table(
        frame,
        "Delivery confidence: official rating and the pipeline's derived rating",
        {"what": "Rating", "rating": "Value", "basis": "Source and basis"},
    )
