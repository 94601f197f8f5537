"""What several sections share: names and labels looked up from the pack's reference tables, and
the KPI value cell."""

from __future__ import annotations

from audit_pipeline.report import fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K


def centre_names(ctx: Context) -> dict:
    """Each centre's name by its ``centre_id``."""
    return ctx.tables["centres"].set_index("centre_id")["name"].to_dict()


def period_labels(ctx: Context) -> dict:
    """Each period's label by its ``period_id``."""
    return ctx.tables["periods"].set_index("period_id")["label"].to_dict()


def kpi_value(ctx: Context, row) -> str:
    """A KPI value reported for the period, registered from its row in kpi_values (one register entry
    for the service section's KPI table and the data-quality section's exceptions)."""
    return K.cell_value(
        ctx.register,
        f"table.kpi.{row['kpi_id']}.{row['centre_id']}.value",
        "kpi_values",
        int(row["_line"]),
        "value",
        row["value"],
        fmt.measure(row["value"], row["unit"]),
        f"{row['name']}, {row['centre_id']}, reported for {ctx.period.label}",
        "The value column of the centre's row in kpi_values for the KPI and period (the last row when repeated).",
    )
