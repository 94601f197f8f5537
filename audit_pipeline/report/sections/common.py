"""What several sections share: names and labels looked up from the pack's reference tables."""

from __future__ import annotations

from audit_pipeline.report.context import Context


def centre_names(ctx: Context) -> dict:
    """Each centre's name by its ``centre_id``."""
    return ctx.tables["centres"].set_index("centre_id")["name"].to_dict()


def period_labels(ctx: Context) -> dict:
    """Each period's label by its ``period_id``."""
    return ctx.tables["periods"].set_index("period_id")["label"].to_dict()
