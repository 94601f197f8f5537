"""The reporting calendar: which period is reported, which came before, what is "to date"."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from audit_pipeline.errors import UsageError

MONEY_PLACES = 6  # money sums are rounded to this many places of £ million, to drop float noise


@dataclass(frozen=True)
class Period:
    """A reporting period: ``start`` and ``end`` are inclusive dates (as Timestamps)."""

    period_id: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp


def ordered(periods: pd.DataFrame) -> pd.DataFrame:
    """Periods in reporting order (by ``start_date``)."""
    return periods.sort_values("start_date", kind="stable").reset_index(drop=True)


def _to_period(row: pd.Series) -> Period:
    return Period(row["period_id"], row["label"], pd.Timestamp(row["start_date"]), pd.Timestamp(row["end_date"]))


def period_of(periods: pd.DataFrame, period_id: str | None) -> Period:
    """The period named ``period_id`` (the latest when ``None``); ``UsageError`` lists valid ids."""
    table = ordered(periods)
    if period_id is None:
        return _to_period(table.iloc[-1])
    match = table[table["period_id"] == period_id]
    if match.empty:
        raise UsageError(f"unknown period {period_id!r}; the pack's periods are: {', '.join(table['period_id'])}")
    return _to_period(match.iloc[0])


def all_periods(periods: pd.DataFrame) -> list[Period]:
    """Every period in reporting order."""
    return [_to_period(row) for _, row in ordered(periods).iterrows()]


def previous_period(periods: pd.DataFrame, period: Period) -> Period | None:
    """The period before ``period`` in reporting order, or ``None`` for the first."""
    table = ordered(periods)
    earlier = table[table["start_date"] < period.start]
    return _to_period(earlier.iloc[-1]) if not earlier.empty else None


def ids_up_to(periods: pd.DataFrame, period: Period) -> set[str]:
    """Ids of every period whose start is at or before the reported period's start ("up to P")."""
    return set(periods.loc[periods["start_date"] <= period.start, "period_id"])


def ids_after(periods: pd.DataFrame, period: Period) -> set[str]:
    """Ids of every period that starts after the reported period."""
    return set(periods.loc[periods["start_date"] > period.start, "period_id"])


def lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by unique keys) looked up for each of ``keys``; missing where absent.

    Like ``keys.map(values)``, which pandas refuses when ``values`` is an empty Series of dates
    (a table with no rows); the result keeps ``values``' dtype and ``keys``' index.
    """
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype=values.dtype)


def money_sum(values: pd.Series) -> float:
    """Sum of £ million amounts, NaN ignored, rounded to ``MONEY_PLACES``."""
    import math

    return round(math.fsum(float(v) for v in values.dropna()), MONEY_PLACES) + 0.0
