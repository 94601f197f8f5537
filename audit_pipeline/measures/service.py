"""Service performance: figures derived from transactions, KPIs against benchmarks, MI timeliness.

Transaction figures are one DuckDB query over the Arrow table (no Python
loop over rows), so tens of millions of rows stay cheap.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from audit_pipeline.measures.periods import Period, lookup

_SERVICE_SQL = """
SELECT centre_id,
       count(*) FILTER (WHERE received_date BETWEEN $start AND $end) AS volume,
       count(*) FILTER (WHERE received_date BETWEEN $start AND $end
                          AND completed_date - received_date <= sla_days) AS within_sla,
       median(completed_date - received_date)
             FILTER (WHERE received_date BETWEEN $start AND $end AND completed_date IS NOT NULL) AS median_days,
       count(*) FILTER (WHERE received_date <= $end AND (completed_date IS NULL OR completed_date > $end)) AS open_at_end
FROM tx
GROUP BY centre_id
ORDER BY centre_id
"""


def service_figures(transactions: pa.Table | None, period: Period) -> dict:
    """``service`` of metrics.json: per centre with any transactions, over those received within P.

    ``within_sla_share`` is null when the centre received nothing in P, and
    ``median_days_to_complete`` is null when none of them is completed.
    """
    if transactions is None or transactions.num_rows == 0:
        return {}
    con = duckdb.connect()
    try:
        con.register("tx", transactions)
        rows = con.execute(_SERVICE_SQL, {"start": period.start.date(), "end": period.end.date()}).fetchall()
    finally:
        con.close()
    return {
        centre: {
            "volume": int(volume),
            "within_sla_share": round(within / volume, 4) if volume else None,
            "median_days_to_complete": float(median) if median is not None else None,
            "open_at_end": int(open_at_end),
        }
        for centre, volume, within, median, open_at_end in rows
    }


def kpi_table(kpis: pd.DataFrame, kpi_values: pd.DataFrame, period: Period, late_days: int) -> pd.DataFrame:
    """Each KPI value reported for P, with its benchmark, whether it is met (in words) and late MI."""
    values = kpi_values[kpi_values["period_id"] == period.period_id].drop_duplicates(
        ["centre_id", "kpi_id"], keep="last"
    )
    table = values.merge(kpis[["kpi_id", "name", "unit", "direction", "benchmark"]], on="kpi_id", how="left")
    higher = table["direction"] == "higher_is_better"
    met = (higher & (table["value"] >= table["benchmark"])) | (~higher & (table["value"] <= table["benchmark"]))
    table["against_benchmark"] = met.map({True: "Meets benchmark", False: "Misses benchmark"}).where(
        table["benchmark"].notna(), "No benchmark"
    )
    deadline = period.end + pd.Timedelta(days=late_days)
    table["late"] = table["reported_on"] > deadline
    table["timeliness"] = (
        table["late"]
        .map({True: f"Late (after {late_days} days)", False: "On time"})
        .where(table["reported_on"].notna(), "Date not reported")
    )
    return table.sort_values(["kpi_id", "centre_id"], kind="stable").reset_index(drop=True)


def mi_timeliness(kpi_values: pd.DataFrame, periods: pd.DataFrame, late_days: int) -> pd.DataFrame:
    """Per period: KPI values reported, how many late, how many without a reported date."""
    ends = periods.set_index("period_id")["end_date"]
    frame = kpi_values.assign(_end=lookup(kpi_values["period_id"], ends))
    frame["late"] = frame["reported_on"] > frame["_end"] + pd.Timedelta(days=late_days)
    grouped = frame.groupby("period_id", sort=False).agg(
        values=("kpi_id", "size"), late=("late", "sum"), undated=("reported_on", lambda s: int(s.isna().sum()))
    )
    order = periods.sort_values("start_date")[["period_id", "label"]]
    return order.merge(grouped.reset_index(), on="period_id", how="inner")


def derived_beside_reported(service: dict, kpi_rows: pd.DataFrame, centres: pd.DataFrame) -> pd.DataFrame:
    """Per centre: transaction-derived figures beside the KPIs the centre reported itself.

    ``reported_kpis`` holds a list of ``(name, value, unit)`` per centre, empty when it reported none.
    """
    rows = []
    for _, centre in centres.sort_values("centre_id").iterrows():
        derived = service.get(centre["centre_id"], {})
        reported = kpi_rows[kpi_rows["centre_id"] == centre["centre_id"]]
        rows.append(
            {
                "centre_id": centre["centre_id"],
                "centre": centre["name"],
                "volume": derived.get("volume"),
                "within_sla_share": derived.get("within_sla_share"),
                "median_days_to_complete": derived.get("median_days_to_complete"),
                "open_at_end": derived.get("open_at_end"),
                "reported_kpis": [(r["name"], r["value"], r["unit"]) for _, r in reported.iterrows()],
            }
        )
    columns = ["centre_id", "centre", "volume", "within_sla_share", "median_days_to_complete", "open_at_end"]
    return pd.DataFrame(rows, columns=[*columns, "reported_kpis"])
