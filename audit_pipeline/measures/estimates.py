"""The history of the estimates: every estimate made by End, first and each revision, and when each
was in force (the steps of the estimates chart)."""

from __future__ import annotations

import pandas as pd

ORDER = ("annual_savings", "cumulative_savings", "implementation_cost")


def estimate_history(estimates: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Every estimate with ``as_at`` on or before ``at`` (none made later): by measure, its scopes in the
    order they were first estimated, then by date.

    Adds ``revision`` (0 for the first estimate of its measure and scope, then 1, 2, ...),
    ``until`` (the ``as_at`` of the next estimate of the same measure and scope, else ``at``: the
    end of its step) and ``in_force`` (the latest of its measure and scope at ``at``).
    """
    made = estimates[estimates["as_at"] <= at].copy()
    made["_order"] = made["measure"].map({m: i for i, m in enumerate(ORDER)}).fillna(len(ORDER))
    made["_first"] = made.groupby(["measure", "scope"])["as_at"].transform("min")
    keys = ["_order", "measure", "_first", "scope", "as_at", "_line"]
    made = made.sort_values(keys, kind="stable").drop(columns=["_order", "_first"])
    group = made.groupby(["measure", "scope"], sort=False)
    made["revision"] = group.cumcount()
    made["until"] = group["as_at"].shift(-1).fillna(at)
    made["in_force"] = group["as_at"].transform("size") == made["revision"] + 1
    return made.reset_index(drop=True)
