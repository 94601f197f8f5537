"""Onboarding against plan, and adoption of the standard operating model (SOM)."""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures.periods import Period
from audit_pipeline.pack.contract import SOM_STATUSES

# Words shown beside any colour: no fact is shown by colour alone.
SLIP_WORDS = {
    "within": "On time or within tolerance",
    "amber": "Late beyond amber threshold",
    "red": "Late beyond red threshold",
    "pending": "Not yet due",
    "unplanned": "No planned date",
}


def onboarding_figures(bodies: pd.DataFrame, period: Period) -> dict:
    """``onboarding`` of metrics.json as at the period's end."""
    onboarded = bodies["actual_onboard_date"].notna() & (bodies["actual_onboard_date"] <= period.end)
    overdue = bodies["planned_onboard_date"].notna() & (bodies["planned_onboard_date"] <= period.end) & ~onboarded
    figures = {
        "bodies": int(len(bodies)),
        "onboarded": int(onboarded.sum()),
        "overdue": int(overdue.sum()),
        "customers_served": int(bodies.loc[onboarded, "customers"].fillna(0).sum()),
    }
    for status in SOM_STATUSES:
        figures[f"som_{status}"] = int((bodies["som_status"] == status).sum())
    return figures


def onboarding_table(bodies: pd.DataFrame, period: Period, thresholds: dict) -> pd.DataFrame:
    """Each body's plan and actual date, slippage in days as at the period end, and a worded rating.

    Slip for an onboarded body is actual minus planned; for one not yet
    onboarded whose plan date has passed, period end minus planned (and growing).
    The rating is derived by this pipeline from ``thresholds``, not an official one.
    """
    table = bodies[
        [
            "body_id",
            "name",
            "centre_id",
            "planned_onboard_date",
            "actual_onboard_date",
            "customers",
            "som_status",
            "variations",
        ]
    ].copy()
    onboarded = table["actual_onboard_date"].notna() & (table["actual_onboard_date"] <= period.end)
    table["onboarded"] = onboarded
    table.loc[~onboarded, "actual_onboard_date"] = pd.NaT
    reference = table["actual_onboard_date"].where(onboarded, period.end)
    slip = (reference - table["planned_onboard_date"]).dt.days
    due = table["planned_onboard_date"].notna() & (onboarded | (table["planned_onboard_date"] <= period.end))
    table["slip_days"] = slip.where(due).astype("Int64")
    amber, red = thresholds["onboarding_slip_days_amber"], thresholds["onboarding_slip_days_red"]

    def rate(row) -> str:
        if pd.isna(row["planned_onboard_date"]):
            return "unplanned"
        if pd.isna(row["slip_days"]):
            return "pending"
        if row["slip_days"] >= red:
            return "red"
        return "amber" if row["slip_days"] >= amber else "within"

    table["rating"] = table.apply(rate, axis=1) if not table.empty else pd.Series(dtype=object)
    return table.sort_values(["planned_onboard_date", "body_id"], na_position="last", kind="stable").reset_index(
        drop=True
    )


def onboarding_series(bodies: pd.DataFrame, periods: list[Period]) -> pd.DataFrame:
    """Cumulative bodies planned and actually onboarded by each period's end."""
    rows = []
    for p in periods:
        rows.append(
            {
                "period_id": p.period_id,
                "label": p.label,
                "end_date": p.end,
                "planned": int((bodies["planned_onboard_date"] <= p.end).sum()),
                "onboarded": int((bodies["actual_onboard_date"] <= p.end).sum()),
                "customers_served": int(
                    bodies.loc[bodies["actual_onboard_date"] <= p.end, "customers"].fillna(0).sum()
                ),
            }
        )
    return pd.DataFrame(rows)


def som_table(bodies: pd.DataFrame) -> pd.DataFrame:
    """Bodies and variations by standard-operating-model status, in the contract's order."""
    rows = []
    for status in SOM_STATUSES:
        these = bodies[bodies["som_status"] == status]
        rows.append(
            {"som_status": status, "bodies": len(these), "variations": int(these["variations"].fillna(0).sum())}
        )
    return pd.DataFrame(rows)
