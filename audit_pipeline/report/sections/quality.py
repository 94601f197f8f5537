"""Section 06, notebooks/06_data_quality: the pack's warnings and every return not collated."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import finance
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.sections.common import period_labels


def warnings_table(ctx: Context) -> HTML:
    """Every warning found when the pack was validated."""
    rows = pd.DataFrame(
        [(f.file, f.line, f.column, f.value, f.rule) for f in ctx.pack.warnings],
        columns=["file", "line", "column", "value", "rule"],
    )
    return display.table(
        rows,
        f"Data pack warnings ({len(rows)}): accepted, but worth checking with the supplier",
        {"file": "File", "line": "Line", "column": "Column", "value": "Value", "rule": "Warning"},
        formats={"line": lambda v: "" if pd.isna(v) else str(int(v))},
    )


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
        f"Returns not collated up to {fmt.isolate(ctx.period.label)} ({len(items)}): missing data, never counted as zero",
        {"table": "Table", "period_id": "Period", "body": "Body", "type_words": "Type", "line": "Line in file"},
    )
