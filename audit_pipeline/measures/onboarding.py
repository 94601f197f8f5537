"""Onboarding against plan, and adoption of the standard operating model (SOM).

One rule gives each body's state at the period's end (``onboarding_state``);
every figure, table, chart and sentence about onboarding is built from it, so
no two parts of a report can disagree about a body.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures.periods import Period, lookup
from audit_pipeline.pack.contract import SOM_STATUSES

# A body's state at End: exactly one of these.
ONBOARDED, OVERDUE, NOT_YET_DUE, UNPLANNED = "onboarded", "overdue", "not_yet_due", "unplanned"

# Words shown beside any colour: no fact is shown by colour alone. The slip ratings
# (on time, within tolerance, late) apply to onboarded bodies only; an overdue body is
# "Overdue, N days" (see ``rating_words``), never "on time".
SLIP_WORDS = {
    "on_time": "On time",
    "within": "Within tolerance",
    "amber": "Late beyond amber threshold",
    "red": "Late beyond red threshold",
    "overdue": "Overdue",
    "pending": "Not yet due",
    "unplanned": "No planned date",
}


def onboarding_state(bodies: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Each body's onboarding state at End, in the bodies' order: the one rule every output uses.

    Columns: ``body_id``; ``onboarded`` (``actual_onboard_date`` on or before End);
    ``onboarded_on`` (that date, else NaT: a later date does not exist yet at End);
    ``state``: ``onboarded``, ``overdue`` (planned on or before End and not onboarded),
    ``not_yet_due`` (planned after End) or ``unplanned`` (no planned date, not onboarded);
    ``slip_days``: actual minus planned for an onboarded body, End minus planned for an
    overdue one (its days overdue), else missing.
    """
    planned = bodies["planned_onboard_date"]
    onboarded = bodies["actual_onboard_date"].notna() & (bodies["actual_onboard_date"] <= period.end)
    overdue = planned.notna() & (planned <= period.end) & ~onboarded
    state = pd.Series(UNPLANNED, index=bodies.index, dtype=object)
    state[planned.notna() & (planned > period.end)] = NOT_YET_DUE
    state[overdue] = OVERDUE
    state[onboarded] = ONBOARDED
    onboarded_on = bodies["actual_onboard_date"].where(onboarded)
    reference = onboarded_on.where(onboarded, period.end)
    slip = (reference - planned).dt.days.where(onboarded | overdue)
    return pd.DataFrame(
        {
            "body_id": bodies["body_id"],
            "onboarded": onboarded,
            "onboarded_on": onboarded_on,
            "state": state,
            "slip_days": slip.astype("Int64"),
        }
    )


def slip_rating(state: pd.DataFrame, thresholds: dict) -> pd.Series:
    """The pipeline's own rating per body from its state (not an official one).

    Onboarded bodies only are rated on slip: ``on_time`` (no later than planned),
    ``within`` (late by less than the amber threshold), ``amber``, ``red``. Any other
    state keeps its own word: ``overdue``, ``pending`` (not yet due), ``unplanned``.
    """
    amber, red = thresholds["onboarding_slip_days_amber"], thresholds["onboarding_slip_days_red"]

    def rate(s: str, slip) -> str:
        if s == OVERDUE:
            return "overdue"
        if s == NOT_YET_DUE:
            return "pending"
        if s == UNPLANNED or pd.isna(slip):  # onboarded without a plan date has no slip either
            return "unplanned"
        if slip >= red:
            return "red"
        if slip >= amber:
            return "amber"
        return "within" if slip > 0 else "on_time"

    return pd.Series(
        [rate(s, d) for s, d in zip(state["state"], state["slip_days"], strict=True)], index=state.index, dtype=object
    )


def rating_words(rating: str, slip_days) -> str:
    """A rating in words; an overdue body says by how much: ``Overdue, 56 days``."""
    if rating == "overdue":
        days = int(slip_days)
        return f"Overdue, {days:,} day{'' if days == 1 else 's'}"
    return SLIP_WORDS[rating]


def onboarding_figures(bodies: pd.DataFrame, period: Period) -> dict:
    """``onboarding`` of metrics.json as at the period's end.

    ``som_*`` count bodies onboarded by End by ``som_status``; ``som_not_onboarded``
    the rest (a body that has not joined a centre has no operating-model status yet).
    The five ``som_*`` counts add up to ``bodies``.
    """
    state = onboarding_state(bodies, period)
    onboarded = state["onboarded"]
    figures = {
        "bodies": int(len(bodies)),
        "onboarded": int(onboarded.sum()),
        "overdue": int((state["state"] == OVERDUE).sum()),
        "customers_served": int(bodies.loc[onboarded, "customers"].fillna(0).sum()),
    }
    for status in SOM_STATUSES:
        figures[f"som_{status}"] = int((onboarded & (bodies["som_status"] == status)).sum())
    figures["som_not_onboarded"] = int((~onboarded).sum())
    return figures


def onboarding_table(bodies: pd.DataFrame, period: Period, thresholds: dict) -> pd.DataFrame:
    """Each body's plan, its state at End, slip in days and the derived rating.

    ``actual_onboard_date`` is blanked when it falls after End (it has not happened
    yet). Slip is actual minus planned for an onboarded body; for an overdue one it is
    End minus planned (its days overdue, growing). ``rating`` comes from ``slip_rating``.
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
    state = onboarding_state(bodies, period)
    table["onboarded"] = state["onboarded"]
    table["actual_onboard_date"] = state["onboarded_on"]
    table["state"] = state["state"]
    table["slip_days"] = state["slip_days"]
    table["rating"] = slip_rating(state, thresholds)
    return table.sort_values(["planned_onboard_date", "body_id"], na_position="last", kind="stable").reset_index(
        drop=True
    )


def onboarding_series(bodies: pd.DataFrame, periods: list[Period]) -> pd.DataFrame:
    """Cumulative bodies planned, onboarded and overdue by each period's end (each from ``onboarding_state``)."""
    rows = []
    for p in periods:
        state = onboarding_state(bodies, p)
        rows.append(
            {
                "period_id": p.period_id,
                "label": p.label,
                "end_date": p.end,
                "planned": int((bodies["planned_onboard_date"] <= p.end).sum()),
                "onboarded": int(state["onboarded"].sum()),
                "overdue": int((state["state"] == OVERDUE).sum()),
                "customers_served": int(bodies.loc[state["onboarded"], "customers"].fillna(0).sum()),
            }
        )
    return pd.DataFrame(rows)


def som_table(bodies: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Bodies onboarded by End and their variations by SOM status, then a row for those not onboarded.

    The ``bodies`` column adds up to every body in the pack; a body not yet onboarded
    has no status and no variations yet (``variations`` is missing on that row).
    """
    onboarded = onboarding_state(bodies, period)["onboarded"]
    rows = []
    for status in SOM_STATUSES:
        these = bodies[onboarded & (bodies["som_status"] == status)]
        rows.append(
            {"som_status": status, "bodies": len(these), "variations": int(these["variations"].fillna(0).sum())}
        )
    rows.append({"som_status": "not_onboarded", "bodies": int((~onboarded).sum()), "variations": None})
    table = pd.DataFrame(rows)
    table["variations"] = table["variations"].astype("Int64")
    return table


def kpi_values_before_go_live(kpi_values: pd.DataFrame, centres: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """KPI values reported for a period that ended before the centre's go-live date.

    A centre cannot have performance before it is live, so such a value is flagged
    wherever it is shown, never shown as if it were a result. A centre without a
    go-live date is not flagged (nothing to check against). Columns: the value's row
    plus ``go_live_date`` and ``end_date``.
    """
    live = centres.set_index("centre_id")["go_live_date"]
    ends = periods.set_index("period_id")["end_date"]
    frame = kpi_values.assign(
        go_live_date=lookup(kpi_values["centre_id"], live), end_date=lookup(kpi_values["period_id"], ends)
    )
    return frame[frame["go_live_date"].notna() & (frame["end_date"] < frame["go_live_date"])].reset_index(drop=True)
