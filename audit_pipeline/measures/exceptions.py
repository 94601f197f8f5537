"""The exceptions register: plausibility checks on the data of one period, each with its rule and tolerance.

Every check returns the rows it examined with an ``exception`` column, so the report can
list each check, what it examined and what it found, even when it finds nothing:

- ``before_go_live``: a self-reported KPI value for a period that ended before its centre's
  go-live date (``onboarding.kpi_values_before_go_live``, the rule the KPI table flags by);
- ``without_transactions``: a self-reported KPI value for a centre that received no
  transactions in the period (only when the pack holds transaction data);
- ``reported_vs_derived``: a self-reported KPI beyond a stated tolerance from the comparable
  transaction-derived figure of ``service.derived_beside_reported`` (``COMPARISONS``);
- ``forecast_vs_actual``: a forecast cost or saving for the period further than
  ``FORECAST_TOLERANCE`` (a share of the forecast) from the actual amount reported for the
  same period, body and type.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import onboarding, service
from audit_pipeline.measures.periods import lookup, money_sum

# A self-reported KPI and the transaction-derived figure it is compared with: the KPI's unit,
# a word its name must hold (or None), the derived figure, the factor that puts the derived
# figure in the KPI's unit, and the tolerance (in the KPI's unit) beyond which it is an exception.
COMPARISONS = (
    {"unit": "days", "word": None, "derived": "median_days_to_complete", "scale": 1.0, "tolerance": 1.0},
    {"unit": "percent", "word": "within", "derived": "within_sla_share", "scale": 100.0, "tolerance": 5.0},
)
FORECAST_TOLERANCE = 0.25  # an actual more than 25% of the forecast above or below it


def before_go_live(kpi_rows: pd.DataFrame, centres: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """The KPI values ``kpi_rows`` (one period's) with ``go_live_date`` and ``exception``: the period
    ended before the centre went live. A centre with no go-live date is not checked (``checked`` false)."""
    early = onboarding.kpi_values_before_go_live(kpi_rows, centres, periods)
    live = centres.set_index("centre_id")["go_live_date"]
    out = kpi_rows.assign(go_live_date=lookup(kpi_rows["centre_id"], live))
    out["checked"] = out["go_live_date"].notna()
    out["exception"] = out["_line"].isin(early["_line"])
    return out.reset_index(drop=True)


def without_transactions(kpi_rows: pd.DataFrame, figures: dict, has_transactions: bool) -> pd.DataFrame | None:
    """The KPI values ``kpi_rows`` with ``volume`` (transactions the centre received in the period)
    and ``exception``: none received. ``None`` when the pack holds no transaction data (not checked)."""
    if not has_transactions:
        return None
    out = kpi_rows.assign(volume=[int(figures.get(c, {}).get("volume") or 0) for c in kpi_rows["centre_id"]])
    out["exception"] = out["volume"] == 0
    return out.reset_index(drop=True)


def comparison_for(unit: str, name: str) -> dict | None:
    """The ``COMPARISONS`` entry a KPI of this unit and name is compared by, or ``None``."""
    for rule in COMPARISONS:
        if unit == rule["unit"] and (rule["word"] is None or rule["word"] in str(name).lower()):
            return rule
    return None


def reported_vs_derived(kpi_rows: pd.DataFrame, figures: dict, centres: pd.DataFrame) -> pd.DataFrame:
    """Each self-reported KPI value that has a comparable transaction-derived figure for its centre.

    The derived figures come from ``service.derived_beside_reported`` (the measure behind the
    service section's side-by-side table). Columns: the KPI row, ``derived_name``, ``derived``
    (in the KPI's unit), ``difference`` (reported minus derived), ``tolerance``, ``exception``
    (the difference is larger than the tolerance, either way).
    """
    beside = service.derived_beside_reported(figures, kpi_rows, centres).set_index("centre_id")
    rows = []
    for _, row in kpi_rows.iterrows():
        rule = comparison_for(row["unit"], row["name"])
        if rule is None or row["centre_id"] not in beside.index or pd.isna(row["value"]):
            continue
        derived = beside.at[row["centre_id"], rule["derived"]]
        if derived is None or pd.isna(derived):
            continue
        derived = round(float(derived) * rule["scale"], 4)
        difference = round(float(row["value"]) - derived, 4)
        rows.append(
            {
                **row.to_dict(),
                "derived_name": rule["derived"],
                "derived": derived,
                "difference": difference,
                "tolerance": rule["tolerance"],
                "exception": abs(difference) > rule["tolerance"],
            }
        )
    extra = ["derived_name", "derived", "difference", "tolerance", "exception"]
    return pd.DataFrame(rows, columns=[*kpi_rows.columns, *extra])


def forecast_vs_actual(frame: pd.DataFrame, kind: str, period_id: str) -> pd.DataFrame:
    """Forecast rows of ``frame`` (costs or savings) for ``period_id`` beside the actual rows of the
    same period, body and ``kind`` (``cost_type`` or ``attribution``).

    One row per (body, kind) with both: ``forecast`` and ``actual`` (sums of their rows),
    ``forecast_lines`` and ``actual_lines``, ``difference`` (actual minus forecast), ``share``
    (difference / forecast, 4 places; ``None`` for a zero forecast) and ``exception``: the share
    beyond ``FORECAST_TOLERANCE`` either way (a zero forecast: any non-zero actual).
    """
    here = frame[frame["period_id"] == period_id]
    keys = ["body_id", kind]
    columns = [*keys, "forecast", "actual", "forecast_lines", "actual_lines", "difference", "share", "exception"]
    rows = []
    for (body, what), group in here.groupby(keys, sort=True):
        forecast = group[group["status"] == "forecast"]
        actual = group[(group["status"] == "actual") & group["amount_gbp_m"].notna()]
        if forecast.empty or actual.empty:
            continue
        f, a = money_sum(forecast["amount_gbp_m"]), money_sum(actual["amount_gbp_m"])
        difference = round(a - f, 6)
        share = round(difference / f, 4) if f else None
        rows.append(
            {
                "body_id": body,
                kind: what,
                "forecast": f,
                "actual": a,
                "forecast_lines": sorted(int(x) for x in forecast["_line"]),
                "actual_lines": sorted(int(x) for x in actual["_line"]),
                "difference": difference,
                "share": share,
                "exception": abs(share) > FORECAST_TOLERANCE if share is not None else difference != 0,
            }
        )
    return pd.DataFrame(rows, columns=columns)
