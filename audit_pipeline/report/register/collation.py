"""Whether a sum to date is complete: its actual rows and its not-collated rows up to the period.

A ``not_collated`` row is missing data, not zero (docs/DATA_CONTRACT.md): a sum it would enter is
registered as incomplete (``complete`` false, shown "at least"), and a sum with no collated row at
all is shown as "not collated", never as zero.
"""

from __future__ import annotations

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import ids_up_to
from audit_pipeline.report import fmt

# key figures that are sums to date of a table's actual rows: path -> (table, column, kind)
TO_DATE = {
    "costs.central_programme_to_date_gbp_m": ("costs", "cost_type", "central_programme"),
    "costs.departmental_to_date_gbp_m": ("costs", "cost_type", "departmental_implementation"),
    **{
        f"savings.{a}_to_date_gbp_m": ("savings", "attribution", a)
        for a in ("shared_services", "reduced_activity", "unattributed")
    },
}


def collation(reg, path: str) -> tuple[int, int]:
    """For a sum to date (``TO_DATE``): its actual rows and its not-collated rows up to P.

    Any not-collated row makes the sum incomplete ("at least"); with no actual row besides, the
    figure is missing ("not collated"), never zero.
    """
    table, column, kind = TO_DATE[path]
    t, period = reg.pack.tables, reg.period

    def counts():
        return (
            finance.actual_rows_to_date(t[table], t["periods"], period, column),
            finance.not_collated_to_date(t[table], t["periods"], period, column),
        )

    actual, missing = reg.memo(("collation", table, period.period_id), counts)
    return actual.get(kind, 0), missing.get(kind, 0)


def not_collated(reg, path: str) -> bool:
    """Whether the sum to date at ``path`` has no collated return at all (only not-collated ones)."""
    actual, missing = collation(reg, path) if path in TO_DATE else (1, 0)
    return bool(missing) and not actual


def missing_input(reg, path: str) -> list[dict]:
    """The not-collated rows a sum to date would take in (none when complete): listed beside its
    actual rows, so a reader sees which returns are missing (their empty amounts add nothing)."""
    table, column, kind = TO_DATE[path]
    if not collation(reg, path)[1]:
        return []
    frame, period = reg.pack.tables[table], reg.period
    up_to = frame["period_id"].isin(
        reg.memo(("up_to", period.period_id), lambda: ids_up_to(reg.pack.tables["periods"], period))
    )
    mask = up_to & (frame["status"] == "not_collated") & (frame[column] == kind)
    return [reg.rows(table, mask, f"{column} {kind}, status not_collated, period up to {period.period_id}")]


def display_of(value, actual_rows: int, missing: int, form) -> tuple[str, bool]:
    """A sum's display and whether it is complete: ``not collated`` when only not-collated rows
    would enter it, ``form(value)`` otherwise (incomplete, so shown "at least", when any would)."""
    if missing and not actual_rows:
        return fmt.NOT_COLLATED, False
    return form(value), not missing


def periods_text(labels: list[str]) -> str:
    """Period labels in words, runs of consecutive periods (in the given order) as ``A to B``."""
    return "; ".join(run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in _runs(labels))


def _runs(labels: list) -> list[list[str]]:
    runs: list[list[str]] = []
    for label in labels:
        if label is None:
            if runs and runs[-1]:
                runs.append([])
            continue
        if not runs:
            runs.append([])
        runs[-1].append(str(label))
    return [r for r in runs if r]
