"""Section 06, notebooks/06_data_quality: the pack's warnings and every return not collated."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import period_labels


def _warnings(ctx: Context, n: int) -> str:
    """The number of warnings found when the pack was validated (registered; from validation, not rows)."""
    return ctx.register.add(
        "quality.warnings",
        n,
        fmt.count(n),
        label="Data pack warnings",
        unit="warnings",
        definition="Warnings found when the data pack was validated (accepted, but worth checking).",
        inputs=[],
        function="audit_pipeline.pack.load.load_pack",
        check=None,
    )


@section
def warnings_table(ctx: Context) -> HTML:
    """Every warning found when the pack was validated."""
    rows = pd.DataFrame(
        [(f.file, f.line, f.column, f.value, f.rule) for f in ctx.pack.warnings],
        columns=["file", "line", "column", "value", "rule"],
    )
    return display.table(
        rows,
        f"Data pack warnings ({_warnings(ctx, len(rows))}): accepted, but worth checking with the supplier",
        {"file": "File", "line": "Line", "column": "Column", "value": "Value", "rule": "Warning"},
        formats={"line": lambda v: "" if pd.isna(v) else str(int(v))},
    )


def _not_collated(ctx: Context) -> str:
    """The number of not-collated cost and savings returns up to the period (registered with their rows)."""
    t, reg = ctx.tables, ctx.register
    up = P.ids_up_to(t["periods"], ctx.period)
    inputs = [
        reg.rows(
            name,
            t[name]["period_id"].isin(up) & (t[name]["status"] == "not_collated"),
            f"status not_collated, period up to {ctx.period.period_id}",
        )
        for name in ("costs", "savings")
    ]
    return K.count_rows(
        reg,
        "quality.not_collated_returns",
        "Cost and savings returns not collated",
        "Costs and savings rows up to P with status not_collated.",
        inputs,
        K.M + "finance.not_collated_items",
    )


@section
def not_collated_table(ctx: Context) -> HTML:
    """Every not-collated cost or savings return up to the period: missing, not zero."""
    t = ctx.tables
    items = finance.not_collated_items(t["costs"], t["savings"], t["periods"], ctx.period)
    names = t["bodies"].set_index("body_id")["name"]
    items["body"] = items["body_id"].map(names)
    items["type_words"] = items["type"].map(fmt.words)
    items["period_id"] = items["period_id"].map(period_labels(ctx))
    return display.table(
        items,
        f"Returns not collated up to {fmt.isolate(ctx.period.label)} ({_not_collated(ctx)}): missing data, never counted as zero",
        {"table": "Table", "period_id": "Period", "body": "Body", "type_words": "Type", "line": "Line in file"},
    )
