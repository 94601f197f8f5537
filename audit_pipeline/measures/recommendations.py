"""Recommendation tracking: status at a period, overdue, revisions, and change since last period.

The auditor's assessed ``status`` is kept apart from the body's ``reported_status``.
Only recommendations made by the period's end are in scope (``in_scope``): one made
later does not exist yet for that period, so every table, count and sentence built
from these functions leaves it out.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures.periods import Period, lookup
from audit_pipeline.pack.contract import REC_STATUSES

OPEN = ("not_started", "in_progress")


def _rows_up_to(status: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    starts = periods.set_index("period_id")["start_date"]
    rows = status.assign(_start=lookup(status["period_id"], starts))
    return rows[rows["_start"] <= period.start].sort_values(["_start", "_line"], kind="stable")


def in_scope(recommendations: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The recommendations made by End (``source_date`` on or before it): the only ones that exist at P."""
    return recommendations[recommendations["source_date"] <= period.end]


def tracker(recommendations: pd.DataFrame, status: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One row per recommendation in scope at P: its status at P and everything the report says about it."""
    recommendations = in_scope(recommendations, period)
    rows = _rows_up_to(status, periods, period)
    latest = rows.groupby("rec_id", sort=False).tail(1).set_index("rec_id")
    revised = rows.dropna(subset=["current_target_date"]).groupby("rec_id", sort=False).tail(1).set_index("rec_id")
    table = recommendations[
        ["rec_id", "source_report", "source_date", "text", "owner", "response", "target_date"]
    ].copy()
    table = table.rename(columns={"target_date": "original_target_date"})
    ids = table["rec_id"]
    table["status"] = lookup(ids, latest["status"]).fillna("not_started")
    table["reported_status"] = lookup(ids, latest["reported_status"])
    table["assessed_period_id"] = lookup(ids, latest["period_id"])
    table["evidence"] = lookup(ids, latest["evidence"])
    table["current_target_date"] = lookup(ids, revised["current_target_date"])
    table["revision_reason"] = lookup(ids, revised["revision_reason"])
    table["target_in_force"] = table["current_target_date"].fillna(table["original_target_date"])
    table["overdue"] = table["status"].isin(OPEN) & (table["target_in_force"] < period.end)
    table["reported_not_confirmed"] = (table["reported_status"] == "implemented") & (table["status"] != "implemented")
    table["not_reassessed"] = table["assessed_period_id"].notna() & (table["assessed_period_id"] != period.period_id)
    return table.reset_index(drop=True)


def recommendation_figures(track: pd.DataFrame) -> dict:
    """``recommendations`` of metrics.json from a ``tracker`` table."""
    counts = {s: int((track["status"] == s).sum()) for s in REC_STATUSES}
    denominator = len(track) - counts["superseded"]
    by_source = {
        str(source): {"total": int(len(group)), "implemented": int((group["status"] == "implemented").sum())}
        for source, group in track.groupby("source_report", sort=True)
    }
    return {
        "total": int(len(track)),
        **counts,
        "implementation_rate": round(counts["implemented"] / denominator, 4) if denominator else None,
        "overdue": int(track["overdue"].sum()),
        "reported_not_confirmed": int(track["reported_not_confirmed"].sum()),
        "not_reassessed": int(track["not_reassessed"].sum()),
        "by_source": by_source,
    }


def revisions(
    recommendations: pd.DataFrame, status: pd.DataFrame, periods: pd.DataFrame, period: Period
) -> pd.DataFrame:
    """Every revision of a target date up to P, of recommendations in scope: original, revised date, reason, when."""
    recommendations = in_scope(recommendations, period)
    rows = _rows_up_to(status, periods, period).dropna(subset=["current_target_date"])
    rows = rows[rows["rec_id"].isin(recommendations["rec_id"])]
    original = recommendations.set_index("rec_id")["target_date"]
    rows = rows.assign(original_target_date=lookup(rows["rec_id"], original))
    rows = rows[rows["original_target_date"].isna() | (rows["current_target_date"] != rows["original_target_date"])]
    rows = rows.drop_duplicates(["rec_id", "current_target_date"], keep="first")
    return rows[["rec_id", "period_id", "original_target_date", "current_target_date", "revision_reason"]].reset_index(
        drop=True
    )


def changes_since(track_now: pd.DataFrame, track_before: pd.DataFrame | None) -> pd.DataFrame:
    """Recommendations whose assessed status differs from the previous period's.

    A recommendation made since the previous period is listed with ``new`` true and no
    ``previous_status`` (it did not exist then).
    """
    if track_before is None:
        return track_now.iloc[0:0][["rec_id", "source_report", "status"]].assign(
            previous_status=pd.Series(dtype=object), new=pd.Series(dtype=bool)
        )
    before = track_before.set_index("rec_id")["status"]
    table = track_now[["rec_id", "source_report", "status"]].assign(
        previous_status=track_now["rec_id"].map(before), new=~track_now["rec_id"].isin(before.index)
    )
    return table[table["new"] | (table["status"] != table["previous_status"])].reset_index(drop=True)


def movements_since(track_now: pd.DataFrame, track_before: pd.DataFrame | None) -> pd.DataFrame:
    """Every recommendation that changed since the previous period's tracker: made since then, a new
    assessed status, a target date moved (re-dated), or onto or off the overdue list.

    ``left_overdue_by_redating``: overdue at the previous period, not now, still open (not started or
    in progress), and its target date moved: it left the overdue list only because it was re-dated.
    With no previous period, nothing has changed.
    """
    columns = ["rec_id", "status", "previous_status", "new", "target_before", "target_now", "redated"]
    columns += ["overdue_before", "overdue_now", "left_overdue_by_redating"]
    if track_before is None:
        return pd.DataFrame(columns=columns)
    before = track_before.set_index("rec_id")
    ids = track_now["rec_id"]
    table = pd.DataFrame(
        {
            "rec_id": ids,
            "status": track_now["status"],
            "previous_status": lookup(ids, before["status"]),
            "new": ~ids.isin(before.index),
            "target_before": lookup(ids, before["target_in_force"]),
            "target_now": track_now["target_in_force"],
            # a recommendation made since then was not overdue then (it did not exist)
            "overdue_before": lookup(ids, before["overdue"]).astype(bool) & ids.isin(before.index),
            "overdue_now": track_now["overdue"].astype(bool),
        }
    )
    moved = table["target_before"].ne(table["target_now"]) & ~(
        table["target_before"].isna() & table["target_now"].isna()
    )
    table["redated"] = ~table["new"] & moved
    table["left_overdue_by_redating"] = (
        table["overdue_before"] & ~table["overdue_now"] & table["status"].isin(OPEN) & table["redated"]
    )
    changed = (
        table["new"]
        | (table["status"] != table["previous_status"])
        | table["redated"]
        | (table["overdue_before"] != table["overdue_now"])
    )
    return table[changed][columns].reset_index(drop=True)


def status_series(
    recommendations: pd.DataFrame, status: pd.DataFrame, periods: pd.DataFrame, upto: list[Period]
) -> pd.DataFrame:
    """Counts by assessed status at each period's end, over the recommendations in scope at each."""
    rows = []
    for p in upto:
        track = tracker(recommendations, status, periods, p)
        rows.append(
            {"period_id": p.period_id, "label": p.label, **{s: int((track["status"] == s).sum()) for s in REC_STATUSES}}
        )
    return pd.DataFrame(rows)
