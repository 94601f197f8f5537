"""Section 01, notebooks/01_summary: key facts, headline figures, executive summary, signals,
delivery confidence.

The pipeline gives no rating of its own: the official delivery confidence rating is the only
rating shown (with who gave it, for which period and from which source), and the signals table
states each rule, its threshold, this period's value and whether the threshold is met.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.measures import service as SV
from audit_pipeline.measures import summary as MS
from audit_pipeline.measures.onboarding import kpi_values_before_go_live
from audit_pipeline.measures.summary import official_rating
from audit_pipeline.report import display, finance_words, fmt, narrative
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import section


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
            "Recommendations implemented (of those in force)",
            f"{rec['implemented']} of {rec['in_force']}",
            f"{rec['implemented']} of {rec['in_force']} recommendations in force; {rec['superseded']} superseded; "
            f"{rec['total']} made. Implementation rate {rec['implementation_rate']}; {rec['overdue']} overdue"
            + (f". By source, implemented of made: {by_source}" if by_source else ""),
        ),
    ]
    return HTML(display.headline_html(items))


@section
def summary_text(ctx: Context) -> HTML:
    """The executive summary, generated from the figures."""
    return display.paragraphs(narrative.executive_summary(ctx.pack, ctx.period, ctx.figures, ctx.register))


# ---- key facts ---------------------------------------------------------------------------------


def _table_money(ctx: Context, path: str) -> str:
    """A key sum to date in a table cell (``£90.0 million``, "at least" when incomplete, or "not collated")."""
    group, name = path.split(".", 1)
    K.key(ctx.register, ctx.figures, path)  # registered first in its running-text form, the figure's own display
    shown = fmt.NOT_COLLATED if K.not_collated(ctx.register, path) else fmt.money_in_table(ctx.figures[group][name])
    return K.key(ctx.register, ctx.figures, path, shown)


def _table_total_costs(reg, f: dict, spent: float) -> str:
    """Implementation costs to date in a table cell, registered first in running-text form (as the headline)."""
    K.total_costs(reg, f, fmt.money(spent))
    return K.total_costs(reg, f, fmt.money_in_table(spent))


@section
def key_facts(ctx: Context) -> HTML:
    """The key facts box: a few headline figures, each with a one-line label (every number registered)."""
    f, reg = ctx.figures, ctx.register
    key = lambda path: K.key(reg, f, path)  # noqa: E731
    c, ob = f["costs"], f["onboarding"]
    rec = narrative.recommendation_counts(reg, f)
    n = f["recommendations"]
    spent = c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]
    missing = c["departmental_not_collated_bodies"]
    end = fmt.date(ctx.period.end)
    facts = [
        (
            _table_total_costs(reg, f, spent),
            f"implementation costs to {end}"
            + (
                f"; departmental costs of {K.noun(key('costs.departmental_not_collated_bodies'), missing, 'body', 'bodies')} not collated"
                if missing
                else ""
            ),
        ),
        # Counts next: a money figure never follows "not collated" (which would read as a missing £0).
        (key("onboarding.customers_served"), "customers served by the bodies onboarded"),
        (
            f"{key('onboarding.onboarded')} of {key('onboarding.bodies')}",
            f"participating bodies onboarded; {K.noun(key('onboarding.overdue'), ob['overdue'], 'body', 'bodies')} overdue against plan",
        ),
        (
            _table_money(ctx, "savings.shared_services_to_date_gbp_m"),
            f"programme savings attributed to shared services to {end}",
        ),
        (
            f"{rec['implemented']} of {rec['in_force']}",
            f"recommendations in force implemented ({K.noun(rec['total'], n['total'], 'recommendation')} made; "
            f"{rec['superseded']} superseded)",
        ),
    ]
    official = official_rating(ctx.tables["delivery_confidence"], ctx.tables["periods"], ctx.period)
    if official:
        facts.append((fmt.words(official["rating"]), f"official delivery confidence rating ({_given(ctx, official)})"))
    frame = pd.DataFrame(facts, columns=["figure", "label"])
    return HTML(
        '<div class="key-facts">'
        + display.table_html(
            frame, f"Key facts at {fmt.isolate(ctx.period.label)}", {"figure": "Figure", "label": "What it is"}
        )
        + "</div>"
    )


# ---- the official rating and the signals --------------------------------------------------------


def _given(ctx: Context, official: dict) -> str:
    """``given by <assessor> for <period> (as at <date>)``: who gave the official rating and when."""
    labels = ctx.tables["periods"].set_index("period_id")["label"]
    who = fmt.isolate(official["assessor"]) if official["assessor"] else "assessor not stated"
    return f"given by {who} for {fmt.isolate(labels[official['period_id']])}, as at {fmt.date(official['as_at'])}"


@section
def delivery_confidence(ctx: Context) -> HTML:
    """The official delivery confidence rating (if any), who gave it, for which period, and its source."""
    official = official_rating(ctx.tables["delivery_confidence"], ctx.tables["periods"], ctx.period)
    name = ctx.pack.file_name("delivery_confidence") or "delivery_confidence.csv"
    if official is None:
        row = ("Not available", "The data pack holds no official rating up to this period.", name)
    else:
        when = "This period's rating" if official["current"] else "The latest rating available (none for this period)"
        source = official["source"] or f"Data pack, {name}"
        row = (fmt.words(official["rating"]), f"{when}: {_given(ctx, official)}.", source)
    frame = pd.DataFrame([row], columns=["rating", "given", "source"])
    return display.table(
        frame,
        "Delivery confidence: the official rating, the only rating in this report",
        {"rating": "Official rating", "given": "Given by and when", "source": "Source"},
    )


SIGNAL_NAMES = {
    "onboarding_overdue": "Overdue onboarding",
    "recommendations_overdue": "Overdue recommendations",
    "costs_against_estimate": "Costs against the estimate",
    "kpis_missing_benchmark": "KPIs missing their benchmark",
    "mi_late": "Late management information (MI)",
}
STATUS_WORDS = {
    MS.MET: "Met",
    MS.NOT_MET: "Not met",
    MS.MET_INCOMPLETE: "Met on the returns collated; the total is incomplete",
    MS.NOT_ASSESSED: "Not assessed",
}


def _default(reg, name: str, value) -> str:
    """A signal threshold that programme.yaml has no key for: the pipeline's documented default."""
    return reg.add(
        f"signals.{name}.threshold",
        value,
        fmt.count(value),
        label=f"Signal threshold: {SIGNAL_NAMES[name].lower()} (default)",
        unit="count",
        definition=f"The pipeline's own default threshold for the signal {name} (fixed, documented with the signals).",
        inputs=[],
        function=K.M + "summary.signal_thresholds",
        check=None,
    )


def _rows(reg, name: str, what: str, table: str, mask, words: str) -> str:
    """A count behind a signal, with the rows it counts."""
    return K.count_rows(
        reg,
        f"signals.{name}.{what}",
        f"{SIGNAL_NAMES[name]}: {words}",
        f"{words[:1].upper()}{words[1:]} (rows counted).",
        [reg.rows(table, mask, words)],
        K.M + "summary.signals",
    )


def _kpi_rows(ctx: Context) -> pd.DataFrame:
    """The KPI values of the period (``service.kpi_table``), each flagged when before its centre went live."""
    t = ctx.tables
    rows = SV.kpi_table(t["kpis"], t["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])
    early = kpi_values_before_go_live(rows, t["centres"], t["periods"])
    return rows.assign(before_go_live=rows["_line"].isin(early["_line"]))


def signal_rows(ctx: Context) -> pd.DataFrame:
    """The signals of the period as table rows (signal, rule and threshold, this period, met), registered."""
    f, reg, t = ctx.figures, ctx.register, ctx.tables
    now = finance.estimates_in_force(t["estimates"], ctx.period.end)
    cost_est = finance.find_estimate(now, "implementation_cost")
    kpis = _kpi_rows(ctx)
    found = {
        s["signal"]: s
        for s in MS.signals(f, ctx.thresholds, kpis, None if cost_est is None else float(cost_est["high_gbp_m"]))
    }
    rec = narrative.recommendation_counts(reg, f)
    values = t["kpi_values"]
    lines = lambda mask: values["_line"].isin(kpis.loc[mask, "_line"])  # noqa: E731
    rows = []

    s = found["onboarding_overdue"]
    rows.append(
        (
            s,
            "Bodies overdue to onboard (planned on or before the period end, not onboarded by then): "
            f"at most {_default(reg, s['signal'], s['threshold'])} (pipeline default)",
            f"{K.key(reg, f, 'onboarding.overdue')} of {K.key(reg, f, 'onboarding.bodies')} bodies overdue",
        )
    )

    s = found["recommendations_overdue"]
    track = K.tracker(reg)
    recs = t["recommendations"]
    open_ids = set(track.loc[track["status"].isin(("not_started", "in_progress")), "rec_id"])
    open_shown = _rows(
        reg,
        s["signal"],
        "open",
        "recommendations",
        recs["rec_id"].isin(open_ids),
        "open recommendations in scope (not started or in progress)",
    )
    key = MS.SIGNAL_PROGRAMME_THRESHOLDS[s["signal"]]
    K.threshold(reg, key, unit="share")
    limit = reg.again(f"thresholds.{key}", fmt.share(s["threshold"]))
    value = f"{rec['overdue']} of {open_shown} open recommendations overdue"
    if s["share"] is not None:
        value += (
            " ("
            + reg.add(
                f"signals.{s['signal']}.share",
                s["share"],
                fmt.share(s["share"]),
                label="Overdue recommendations as a share of open ones",
                unit="share",
                definition="Recommendations overdue / recommendations in scope not started or in progress, to 4 places.",
                inputs=[],
                function=K.M + "summary.signals",
                check=None,
            )
            + ")"
        )
    rows.append(
        (
            s,
            f"Overdue recommendations as a share of open ones (not started or in progress): below {limit} "
            "(threshold set in the programme's thresholds)",
            value,
        )
    )

    s = found["costs_against_estimate"]
    spent = f["costs"]["central_programme_to_date_gbp_m"] + f["costs"]["departmental_to_date_gbp_m"]
    if cost_est is None:
        rule = "Implementation costs to date: no more than the high end of the implementation cost estimate in force"
    else:
        # A point estimate is registered once, as its low end (as the headline's estimate range does).
        bound = "low" if cost_est["low_gbp_m"] == cost_est["high_gbp_m"] else "high"
        rule = (
            "Implementation costs to date: no more than the high end of the implementation cost estimate in force, "
            f"{K.estimate(reg, cost_est, bound, fmt.money_in_table)} ({fmt.isolate(cost_est['scope'])}, as at {fmt.date(cost_est['as_at'])})"
        )
    rows.append((s, rule, f"{K.total_costs(reg, f, fmt.money_in_table(spent))} to date"))

    s = found["kpis_missing_benchmark"]
    results = kpis["benchmark"].notna() & ~kpis["before_go_live"]
    misses = results & (kpis["against_benchmark"] == "Misses benchmark")
    value = (
        f"{_rows(reg, s['signal'], 'value', 'kpi_values', lines(misses), 'KPI values of the period missing their benchmark')} of "
        f"{_rows(reg, s['signal'], 'of', 'kpi_values', lines(results), 'KPI values of the period with a benchmark')} "
        "benchmarked KPI values missed their benchmark"
    )
    if kpis["before_go_live"].any():
        early = _rows(
            reg,
            s["signal"],
            "before_go_live",
            "kpi_values",
            lines(kpis["before_go_live"]),
            "KPI values of the period before the centre went live",
        )
        value += f"; {early} reported before the centre went live, not counted"
    rows.append(
        (
            s,
            "Self-reported KPI values for the period that miss their benchmark (values before a centre went live "
            f"are not results and are not counted): at most {_default(reg, s['signal'], s['threshold'])} (pipeline default)",
            value,
        )
    )

    s = found["mi_late"]
    late = kpis["late"].fillna(False).astype(bool)
    value = (
        f"{_rows(reg, s['signal'], 'value', 'kpi_values', lines(late), 'KPI values of the period reported late')} of "
        f"{_rows(reg, s['signal'], 'of', 'kpi_values', lines(kpis['kpi_id'].notna()), 'KPI values reported for the period')} "
        "KPI values reported late"
    )
    undated = kpis["reported_on"].isna()
    if undated.any():
        value += f"; {_rows(reg, s['signal'], 'undated', 'kpi_values', lines(undated), 'KPI values of the period without a reporting date')} without a reporting date"
    rows.append(
        (
            s,
            f"KPI values for the period reported more than {K.threshold(reg, 'mi_late_days')} days after its end: "
            f"at most {_default(reg, s['signal'], s['threshold'])} (pipeline default)",
            value,
        )
    )
    reasons = {
        "costs_against_estimate": "no implementation cost estimate in the pack",
        "kpis_missing_benchmark": "no KPI value with a benchmark reported for the period",
        "mi_late": "no KPI values reported for the period",
        "onboarding_overdue": "no participating bodies",
    }
    return pd.DataFrame(
        [
            {
                "signal": s["signal"],
                "name": SIGNAL_NAMES[s["signal"]],
                "rule": rule,
                "value": value,
                "status": s["status"],
                "met": STATUS_WORDS[s["status"]]
                + (f": {reasons[s['signal']]}" if s["status"] == MS.NOT_ASSESSED else ""),
            }
            for s, rule, value in rows
        ]
    )


@section
def signals_table(ctx: Context) -> HTML:
    """Each signal: its rule and threshold, this period's value, and whether the threshold is met."""
    frame = signal_rows(ctx)
    return display.table(
        frame,
        f"Signals at {fmt.isolate(ctx.period.label)}: each rule, its threshold, this period's value and whether "
        "it is met (rules of this pipeline, not a rating)",
        {"name": "Signal", "rule": "Rule and threshold", "value": "This period", "met": "Threshold met"},
    )
