"""Section 02 (continued): like with like. Savings to date against the cumulative estimate and the
annualised run rate against the annual one, the net position, savings by evidence level and the
dis-savings, forecasts beside actuals, and the history of every estimate (table and step chart).

``sections.costs`` shows these under its own name (``S.net_position(ctx)``), as one section.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import estimates as E
from audit_pipeline.measures import finance
from audit_pipeline.report import display, finance_words, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import finance as RF
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import period_labels

KINDS = {
    ("costs", "central_programme"): "Central programme costs",
    ("costs", "departmental_implementation"): "Departmental implementation costs",
    ("savings", "shared_services"): "Programme savings (shared services)",
    ("savings", "reduced_activity"): "Savings from reduced activity",
    ("savings", "unattributed"): "Unattributed savings",
}


def _body_names(ctx: Context) -> dict:
    return ctx.tables["bodies"].set_index("body_id")["name"].to_dict()


@section
def savings_against_estimates(ctx: Context) -> HTML:
    """Savings to date against the cumulative estimate in force; the annualised run rate against the annual one."""
    return display.paragraphs(finance_words.savings_comparison(ctx.register, ctx.figures, ctx.tables, ctx.period))


@section
def net_position(ctx: Context) -> HTML:
    """Programme savings to date against implementation costs to date ("at least" where incomplete)."""
    return display.paragraphs([finance_words.net_position_sentence(ctx.register, ctx.figures, ctx.period)])


@section
def evidence_table(ctx: Context) -> HTML:
    """Programme savings to date by the auditor's evidence grading, with the not-collated returns and the total."""
    reg, figures = ctx.register, ctx.figures
    if K.collation(reg, finance_words.SAVINGS) == (0, 0):
        return display.paragraphs(
            [
                f"No programme savings had been recorded up to {fmt.isolate(ctx.period.label)}, so there is no evidence to grade."
            ]
        )
    split = finance.evidence_split(ctx.tables["savings"], ctx.tables["periods"], ctx.period)
    words = {
        "sufficient": "Sufficient evidence",
        "partial": "Partial evidence",
        "insufficient": "Insufficient evidence",
        "ungraded": "Not graded",
    }
    rows = [
        (
            words[r["evidence_level"]],
            RF.evidence(reg, figures, r["evidence_level"], fmt.money_cell),
            RF.evidence_rows(reg, r["evidence_level"], r["rows"]),
        )
        for _, r in split.iterrows()
    ]
    path = finance_words.SAVINGS
    actual, missing = K.collation(reg, path)
    if missing:
        returns = K.count_rows(
            reg,
            "table.savings_evidence.not_collated.rows",
            "Programme savings returns not collated to date",
            "Savings rows with attribution shared_services, status not_collated, period up to P.",
            K.missing_input(reg, path),
            K.M + "finance.evidence_split",
        )
        rows.append(("Not collated (amount and grading not known)", fmt.NOT_COLLATED, returns))
    total = (
        fmt.NOT_COLLATED
        if missing and not actual
        else fmt.money_cell(figures["savings"]["shared_services_to_date_gbp_m"])
    )
    rows.append(("Programme savings to date", K.key(reg, figures, path, total), ""))
    frame = pd.DataFrame(rows, columns=["level", "amount", "returns"])
    table = display.table_html(
        frame,
        "Programme savings to date by the auditor's grading of their evidence (£ million)",
        {"level": "Evidence", "amount": "To date (£ million)", "returns": "Returns"},
        numeric=["amount", "returns"],
    )
    sentence = finance_words.evidence_sentence(reg, figures)
    return HTML(table + (display.paragraphs([sentence]).data if sentence else ""))


@section
def dis_savings_table(ctx: Context) -> HTML:
    """Every dis-saving (a negative programme saving) to date: period, body, amount, grading, source."""
    rows = finance.dis_savings(ctx.tables["savings"], ctx.tables["periods"], ctx.period)
    if rows.empty:
        return display.paragraphs(
            [f"No dis-savings (negative programme savings) are recorded up to {fmt.isolate(ctx.period.label)}."]
        )
    labels, names = period_labels(ctx), _body_names(ctx)
    frame = pd.DataFrame(
        {
            "period": rows["period_id"].map(labels),
            "body": rows["body_id"].map(lambda b: names.get(b, b)),
            "amount": [RF.dis_saving_amount(ctx.register, r) for _, r in rows.iterrows()],
            "evidence": rows["evidence_level"].map(lambda e: fmt.words(e) if isinstance(e, str) else "Not graded"),
            "source": rows["source"].fillna(""),
        }
    )
    n = ctx.figures["savings"]["dis_savings_rows"]
    count = K.noun(RF.dis_savings(ctx.register, ctx.figures, "rows"), n, "dis-saving")
    caption = (
        f"Dis-savings in programme savings to date: {count}, {RF.dis_savings(ctx.register, ctx.figures, 'gbp_m')} "
        "in all, netted off the total"
    )
    return display.table(
        frame,
        caption,
        {
            "period": "Period",
            "body": "Body",
            "amount": "Amount (£ million)",
            "evidence": "Evidence",
            "source": "Source",
        },
        numeric=["amount"],
    )


@section
def forecast_table(ctx: Context) -> HTML:
    """Forecast beside actual where the pack holds both for the same period and body (else a sentence)."""
    t = ctx.tables
    pairs = finance.forecast_against_actual(t["costs"], t["savings"], t["periods"], ctx.period)
    if pairs.empty:
        return display.paragraphs(
            [
                f"The pack holds no forecast and actual amounts for the same period and body up to "
                f"{fmt.isolate(ctx.period.label)}, so no forecast can be set against what followed."
            ]
        )
    labels, names = period_labels(ctx), _body_names(ctx)
    cells = [
        RF.forecast_cells(ctx.register, r, "cost_type" if r["table"] == "costs" else "attribution")
        for _, r in pairs.iterrows()
    ]
    frame = pd.DataFrame(
        {
            "what": [KINDS.get((r["table"], r["kind"]), fmt.words(r["kind"])) for _, r in pairs.iterrows()],
            "period": pairs["period_id"].map(labels),
            "bodies": pairs["bodies"].map(lambda bs: ", ".join(names.get(b, b) for b in bs)),
            "forecast": [c[0] for c in cells],
            "actual": [c[1] for c in cells],
            "direction": [
                "Above forecast" if a > f else "Below forecast" if a < f else "As forecast"
                for f, a in zip(pairs["forecast_gbp_m"], pairs["actual_gbp_m"], strict=True)
            ],
        }
    )
    return display.table(
        frame,
        "Forecast against actual, where the pack holds both for the same period and body (£ million)",
        {
            "what": "What",
            "period": "Period",
            "bodies": "Bodies",
            "forecast": "Forecast (£ million)",
            "actual": "Actual (£ million)",
            "direction": "Actual against forecast",
        },
        numeric=["forecast", "actual"],
    )


def _history(ctx: Context) -> pd.DataFrame:
    return E.estimate_history(ctx.tables["estimates"], ctx.period.end)


@section
def estimate_history_table(ctx: Context) -> HTML:
    """Every estimate made by the period's end: the first of each measure and scope and each revision."""
    history = _history(ctx)
    if history.empty:
        return display.paragraphs([f"No estimate had been made by {fmt.date(ctx.period.end)}."])
    frame = pd.DataFrame(
        {
            "measure": [
                f"{fmt.words(r['measure'])} ({r['scope']}"
                + ("" if pd.isna(r["horizon"]) or not r["horizon"] else f"; horizon {r['horizon']}")
                + ")"
                for _, r in history.iterrows()
            ],
            "low": [RF.history_bound(ctx.register, r, "low", fmt.money_cell) for _, r in history.iterrows()],
            "high": [RF.history_bound(ctx.register, r, "high", fmt.money_cell) for _, r in history.iterrows()],
            "as_at": history["as_at"],
            "which": ["First estimate" if n == 0 else f"{_ordinal(n)} revision" for n in history["revision"]],
            "force": [
                "In force" if live else f"Replaced on {fmt.date(until)}"
                for live, until in zip(history["in_force"], history["until"], strict=True)
            ],
            "source": history["source"].fillna("Not stated"),
        }
    )
    columns = {
        "measure": "Measure (scope)",
        "low": "Low (£ million)",
        "high": "High (£ million)",
        "as_at": "Made on",
        "which": "First or revision",
        "force": "At the period end",
        "source": "Source",
    }
    return display.table(
        frame,
        "History of the estimates: every estimate made by the end of the period (£ million; annual savings a year)",
        columns,
        numeric=["low", "high"],
        sources="source",  # rows citing a published report are marked (report/published.py)
    )


def _ordinal(n: int) -> str:
    return {1: "First", 2: "Second", 3: "Third", 4: "Fourth"}.get(int(n), "Later")


@section
def estimate_chart(ctx: Context) -> HTML:
    """The estimates as steps from the date each was made (chart)."""
    from audit_pipeline.report import charts_finance  # matplotlib loads only where a chart is drawn

    history = _history(ctx)
    if history.empty:
        return display.paragraphs(
            [f"No estimate had been made by {fmt.date(ctx.period.end)}, so there is no chart of them."]
        )
    texts = {
        r["estimate_id"]: RF.history_range(ctx.register, r, prefix="chart.estimates") for _, r in history.iterrows()
    }
    return display.figure(
        charts_finance.estimate_steps(history, ctx.period.end, texts),
        "Estimates over time: each drawn from the date it was made until it was replaced",
        "Only estimates made by the end of the period are drawn. Annual savings are a rate a year, "
        "cumulative savings a total by the estimate's horizon, implementation cost a whole-programme total.",
    )
