"""Costs, savings and the estimates they are judged against."""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures.periods import Period, ids_after, ids_up_to, lookup, money_sum, ordered


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
    split = evidence_split(savings, periods, period)
    figures["programme_by_evidence_gbp_m"] = dict(zip(split["evidence_level"], split["amount_gbp_m"], strict=True))
    negative = dis_savings(savings, periods, period)
    figures["dis_savings_rows"] = len(negative)
    figures["dis_savings_gbp_m"] = money_sum(negative["amount_gbp_m"])
    rate = run_rate(savings, periods, period)
    figures["annualised_run_rate_gbp_m"] = rate["amount_gbp_m"] if rate else None
    return figures


EVIDENCE_LEVELS = ("sufficient", "partial", "insufficient", "ungraded")  # ungraded: evidence_level empty


def programme_actual(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.Series:
    """Mask of programme savings rows to date: attribution shared_services, status actual, period up to P."""
    up_to = savings["period_id"].isin(ids_up_to(periods, period))
    return up_to & (savings["status"] == "actual") & (savings["attribution"] == "shared_services")


def evidence_of(savings: pd.DataFrame) -> pd.Series:
    """Each savings row's evidence level, ``ungraded`` where the auditor gave none."""
    return savings["evidence_level"].astype(object).where(savings["evidence_level"].notna(), "ungraded")


def evidence_split(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Programme savings to date by evidence level (every level, in ``EVIDENCE_LEVELS`` order).

    Columns ``evidence_level``, ``amount_gbp_m`` (sum of the actual shared_services rows up to P with
    that grading; dis-savings enter with their sign) and ``rows``. Not-collated returns are in no
    level: their amount and grading are not known.
    """
    mine = programme_actual(savings, periods, period)
    level = evidence_of(savings)
    return pd.DataFrame(
        [
            {
                "evidence_level": name,
                "amount_gbp_m": money_sum(savings.loc[mine & (level == name), "amount_gbp_m"]),
                "rows": int((mine & (level == name)).sum()),
            }
            for name in EVIDENCE_LEVELS
        ]
    )


def dis_savings(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Programme savings rows to date with a negative amount (dis-savings), in period order then line."""
    rows = savings[programme_actual(savings, periods, period) & (savings["amount_gbp_m"] < 0)]
    starts = periods.set_index("period_id")["start_date"]
    rows = rows.assign(_start=lookup(rows["period_id"], starts)).sort_values(["_start", "_line"], kind="stable")
    return rows.drop(columns="_start").reset_index(drop=True)


def run_rate(savings: pd.DataFrame, periods: pd.DataFrame, period: Period) -> dict | None:
    """Programme savings in the twelve months to End: the periods up to P that start within the year
    ending at End. ``None`` when the recorded periods do not cover that year (none starts on the day a
    year before End's next day, or one does not follow on from the one before), so no annual figure.

    Returns ``period_ids`` (in order), ``amount_gbp_m`` (sum of actual shared_services rows in them),
    ``actual_rows`` and ``not_collated_rows`` (shared_services rows of those periods; any makes the
    amount "at least").
    """
    start = period.end + pd.Timedelta(days=1) - pd.DateOffset(years=1)
    table = ordered(periods)
    window = table[(table["start_date"] >= start) & (table["start_date"] <= period.start)]
    follows = (
        window["start_date"].iloc[1:].to_numpy() == (window["end_date"].iloc[:-1] + pd.Timedelta(days=1)).to_numpy()
    )
    if window.empty or window["start_date"].iloc[0] != start or not follows.all():
        return None  # the periods recorded do not cover the whole year (too short, or a gap)
    ids = list(window["period_id"])
    mine = savings["period_id"].isin(ids) & (savings["attribution"] == "shared_services")
    actual = mine & (savings["status"] == "actual")
    return {
        "period_ids": ids,
        "amount_gbp_m": money_sum(savings.loc[actual, "amount_gbp_m"]),
        "actual_rows": int(actual.sum()),
        "not_collated_rows": int((mine & (savings["status"] == "not_collated")).sum()),
    }


def forecast_against_actual(
    costs: pd.DataFrame, savings: pd.DataFrame, periods: pd.DataFrame, period: Period
) -> pd.DataFrame:
    """Forecast beside actual where the pack holds both for the same period, body and cost type (or
    savings attribution), periods up to P: one row per table, type and period, summing the pairs.

    Columns ``table``, ``kind``, ``period_id``, ``bodies`` (sorted tuple), ``forecast_gbp_m``,
    ``actual_gbp_m``; no rows when the pack holds no such pair.
    """
    up = ids_up_to(periods, period)
    parts = []
    for name, frame, column in (("costs", costs, "cost_type"), ("savings", savings, "attribution")):
        keys = ["period_id", "body_id", column]
        here = frame[frame["period_id"].isin(up)]
        both = pd.merge(
            here[here["status"] == "forecast"][keys].drop_duplicates(),
            here[here["status"] == "actual"][keys].drop_duplicates(),
            on=keys,
        )
        for (pid, kind), group in both.groupby(["period_id", column], sort=False):
            bodies = tuple(sorted(group["body_id"]))
            rows = here[(here["period_id"] == pid) & (here[column] == kind) & here["body_id"].isin(bodies)]
            parts.append(
                {
                    "table": name,
                    "kind": kind,
                    "period_id": pid,
                    "bodies": bodies,
                    "forecast_gbp_m": money_sum(rows.loc[rows["status"] == "forecast", "amount_gbp_m"]),
                    "actual_gbp_m": money_sum(rows.loc[rows["status"] == "actual", "amount_gbp_m"]),
                }
            )
    columns = ["table", "kind", "period_id", "bodies", "forecast_gbp_m", "actual_gbp_m"]
    out = pd.DataFrame(parts, columns=columns)
    if out.empty:
        return out
    starts = periods.set_index("period_id")["start_date"]
    out["_start"] = lookup(out["period_id"], starts)
    return out.sort_values(["table", "kind", "_start"], kind="stable").drop(columns="_start").reset_index(drop=True)


def net_position(savings: float, savings_state: str, costs: float, costs_state: str) -> str:
    """Programme savings to date against costs to date, as far as the data allow.

    Each state is ``complete``, ``at_least`` (a return not collated: the true amount is this or
    more) or ``not_collated`` (nothing collated). Returns ``savings_below`` or ``savings_above``
    when that holds whatever the missing returns hold, ``equal`` when both are complete and equal,
    else ``cannot_compare``.
    """
    if "not_collated" in (savings_state, costs_state):
        return "cannot_compare"
    if savings < costs and savings_state == "complete":
        return "savings_below"
    if savings > costs and costs_state == "complete":
        return "savings_above"
    if savings == costs and savings_state == costs_state == "complete":
        return "equal"
    return "cannot_compare"


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
