"""Costs, savings and the estimates they are judged against."""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures.periods import Period, ids_after, ids_up_to, money_sum, ordered


def cost_figures(costs: pd.DataFrame, periods: pd.DataFrame, period: Period) -> dict:
    """``costs`` of metrics.json: actual spend to date by type, not-collated bodies, later forecasts."""
    up_to = costs["period_id"].isin(ids_up_to(periods, period))
    actual = up_to & (costs["status"] == "actual")
    departmental = costs["cost_type"] == "departmental_implementation"
    not_collated = up_to & departmental & (costs["status"] == "not_collated")
    later_forecast = costs["period_id"].isin(ids_after(periods, period)) & (costs["status"] == "forecast")
    return {
        "central_programme_to_date_gbp_m": money_sum(
            costs.loc[actual & (costs["cost_type"] == "central_programme"), "amount_gbp_m"]
        ),
        "departmental_to_date_gbp_m": money_sum(costs.loc[actual & departmental, "amount_gbp_m"]),
        "departmental_not_collated_bodies": int(costs.loc[not_collated, "body_id"].nunique()),
        "forecast_gbp_m": money_sum(costs.loc[later_forecast, "amount_gbp_m"]),
    }


def savings_figures(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> dict:
    """``savings`` of metrics.json: actual savings to date by attribution, kept apart; not-collated rows."""
    up_to = savings["period_id"].isin(ids_up_to(periods, period))
    actual = up_to & (savings["status"] == "actual")
    figures = {
        f"{attribution}_to_date_gbp_m": money_sum(
            savings.loc[actual & (savings["attribution"] == attribution), "amount_gbp_m"]
        )
        for attribution in ("shared_services", "reduced_activity", "unattributed")
    }
    figures["not_collated_rows"] = int((up_to & (savings["status"] == "not_collated")).sum())
    return figures


def estimates_in_force(estimates: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """For each (measure, scope), the estimate with the latest ``as_at`` on or before ``at``."""
    made = estimates[estimates["as_at"] <= at].sort_values(["as_at", "_line"], kind="stable")
    latest = made.groupby(["measure", "scope"], sort=False).tail(1)
    return latest.sort_values(["measure", "scope"], kind="stable").reset_index(drop=True)


def estimate_figures(estimates: pd.DataFrame, period: Period) -> list[dict]:
    """``estimates`` of metrics.json, sorted by measure then scope."""
    return [
        {
            "measure": row["measure"],
            "scope": row["scope"],
            "low_gbp_m": float(row["low_gbp_m"]),
            "high_gbp_m": float(row["high_gbp_m"]),
            "as_at": row["as_at"].date().isoformat(),
        }
        for _, row in estimates_in_force(estimates, period.end).iterrows()
    ]


def estimate_changes(estimates: pd.DataFrame, period: Period, previous: Period | None) -> pd.DataFrame:
    """Each estimate in force at the period's end beside the one in force a period earlier."""
    now = estimates_in_force(estimates, period.end)
    before = estimates_in_force(estimates, previous.end) if previous else now.iloc[0:0]
    merged = now.merge(
        before[["measure", "scope", "low_gbp_m", "high_gbp_m", "as_at"]],
        on=["measure", "scope"],
        how="left",
        suffixes=("", "_previous"),
    )
    merged["changed"] = merged["as_at_previous"].isna() | (merged["as_at"] != merged["as_at_previous"])
    if previous is None:
        merged["changed"] = False
    return merged


def find_estimate(estimates_now: pd.DataFrame, measure: str, prefer_scope: str = "whole strategy") -> pd.Series | None:
    """The estimate in force for ``measure``, preferring the ``prefer_scope`` scope; ``None`` if none."""
    rows = estimates_now[estimates_now["measure"] == measure]
    if rows.empty:
        return None
    preferred = rows[rows["scope"].str.lower() == prefer_scope]
    return (preferred if not preferred.empty else rows).iloc[0]


def _by_period(
    frame: pd.DataFrame, periods: pd.DataFrame, period: Period, column: str, values: tuple[str, ...]
) -> pd.DataFrame:
    table = ordered(periods)
    table = table[table["start_date"] <= period.start]
    rows = []
    for _, p in table.iterrows():
        here = frame[frame["period_id"] == p["period_id"]]
        in_period = here[here["status"] == "actual"]
        missing = here[here["status"] == "not_collated"]
        row = {"period_id": p["period_id"], "label": p["label"], "end_date": p["end_date"]}
        for value in values:
            row[value] = money_sum(in_period.loc[in_period[column] == value, "amount_gbp_m"])
            row[f"{value}_actual_rows"] = int((in_period[column] == value).sum())
            row[f"{value}_not_collated"] = int((missing[column] == value).sum())
        row["not_collated_rows"] = len(missing)
        rows.append(row)
    out = pd.DataFrame(rows)
    for value in values:
        for suffix, source in (("_cumulative", value), ("_actual_rows_to_date", f"{value}_actual_rows")):
            out[value + suffix] = out[source].cumsum() if not out.empty else []
        out[f"{value}_cumulative"] = out[f"{value}_cumulative"].round(6) if not out.empty else []
        out[f"{value}_not_collated_to_date"] = out[f"{value}_not_collated"].cumsum() if not out.empty else []
    return out


def cost_series(costs: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Actual costs by type per period up to P, with running totals and not-collated counts.

    Per type ``<type>``: the period's actual sum, ``<type>_actual_rows`` and ``<type>_not_collated``
    (rows of the period), ``<type>_cumulative``, ``<type>_actual_rows_to_date`` and
    ``<type>_not_collated_to_date`` (rows up to the period); ``not_collated_rows`` of any type.
    A sum with not-collated rows is incomplete; one with no actual rows and some not collated is
    missing, not zero (the report says which).
    """
    return _by_period(costs, periods, period, "cost_type", ("central_programme", "departmental_implementation"))


def savings_series(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Actual savings by attribution per period up to P, with running totals (attributions never added).

    The same columns as ``cost_series``, per attribution.
    """
    return _by_period(savings, periods, period, "attribution", ("shared_services", "reduced_activity", "unattributed"))


def not_collated_items(
    costs: pd.DataFrame, savings: pd.DataFrame, periods: pd.DataFrame, period: Period
) -> pd.DataFrame:
    """Every not-collated cost or savings row up to P, for the data-quality section."""
    up = ids_up_to(periods, period)
    parts = []
    for name, frame, kind in (("costs", costs, "cost_type"), ("savings", savings, "attribution")):
        rows = frame[frame["period_id"].isin(up) & (frame["status"] == "not_collated")]
        parts.append(
            pd.DataFrame(
                {
                    "table": name,
                    "period_id": rows["period_id"],
                    "body_id": rows["body_id"],
                    "type": rows[kind],
                    "line": rows["_line"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def not_collated_to_date(frame: pd.DataFrame, periods: pd.DataFrame, period: Period, column: str) -> dict:
    """Rows up to P with status ``not_collated``, counted by ``column`` (cost type or attribution)."""
    up_to = frame["period_id"].isin(ids_up_to(periods, period)) & (frame["status"] == "not_collated")
    return {str(k): int(v) for k, v in frame.loc[up_to, column].value_counts().items()}


def actual_rows_to_date(frame: pd.DataFrame, periods: pd.DataFrame, period: Period, column: str) -> dict:
    """Rows up to P with status ``actual``, counted by ``column`` (none collated is missing, not zero)."""
    up_to = frame["period_id"].isin(ids_up_to(periods, period)) & (frame["status"] == "actual")
    return {str(k): int(v) for k, v in frame.loc[up_to, column].value_counts().items()}
