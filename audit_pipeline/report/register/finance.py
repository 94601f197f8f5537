"""Register entries for the like-with-like figures: programme savings by evidence level, dis-savings,
the annualised run rate, forecasts beside actuals, the history of the estimates and the points of
the total-cost and estimate charts. Each is recorded with the rows it was computed from, selected
by the same rules as ``measures.finance`` and ``measures.estimates``, and how the figure-check
re-derives it (``sum``, ``count`` or ``value``).
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import finance
from audit_pipeline.measures.periods import ids_up_to
from audit_pipeline.report import fmt
from audit_pipeline.report.register.collation import display_of

M = "audit_pipeline.measures."
SUM = {"op": "sum", "column": "amount_gbp_m"}
SHARED = "attribution shared_services, status actual"


def _programme(reg) -> pd.Series:
    """Mask of programme savings rows to date (shared services, actual, period up to P)."""
    t = reg.pack.tables
    return reg.memo(
        ("programme_actual", reg.period.period_id),
        lambda: finance.programme_actual(t["savings"], t["periods"], reg.period),
    )


def evidence(reg, figures: dict, level: str, form=fmt.money) -> str:
    """Programme savings to date graded ``level`` (``ungraded``: no grading), a key figure."""
    figure_id = f"savings.programme_by_evidence.{level}"
    value = figures["savings"]["programme_by_evidence_gbp_m"][level]
    if figure_id in reg.entries:
        return reg.again(figure_id, form(value))
    savings = reg.pack.tables["savings"]
    grade = finance.evidence_of(savings)
    where = f"{SHARED}, evidence_level {'empty' if level == 'ungraded' else level}, period up to {reg.period.period_id}"
    return reg.add(
        figure_id,
        value,
        form(value),
        label=f"Programme savings to date, evidence {level}",
        unit="gbp_m",
        definition="Sum of amount_gbp_m over savings rows with attribution shared_services, status actual, period "
        "up to P, with this evidence_level (ungraded: none given); dis-savings enter with their sign.",
        inputs=[reg.rows("savings", _programme(reg) & (grade == level), where)],
        function=M + "finance.evidence_split",
        check=SUM,
        metric=f"savings.programme_by_evidence_gbp_m.{level}",
    )


def evidence_rows(reg, level: str, rows: int) -> str:
    """The number of programme savings returns to date graded ``level``."""
    figure_id = f"table.savings_evidence.{level}.rows"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    grade = finance.evidence_of(reg.pack.tables["savings"])
    return reg.add(
        figure_id,
        int(rows),
        fmt.count(rows),
        label=f"Programme savings returns to date, evidence {level}",
        unit="rows",
        definition="Savings rows with attribution shared_services, status actual, period up to P, with this evidence_level.",
        inputs=[reg.rows("savings", _programme(reg) & (grade == level), f"{SHARED}, evidence_level {level}")],
        function=M + "finance.evidence_split",
        check={"op": "count"},
    )


def dis_savings(reg, figures: dict, what: str) -> str:
    """The count (``what`` = ``rows``) or total (``gbp_m``) of dis-savings to date, a key figure."""
    savings = reg.pack.tables["savings"]
    mask = _programme(reg) & (savings["amount_gbp_m"] < 0)
    value = figures["savings"][f"dis_savings_{what}"]
    money = what == "gbp_m"
    figure_id = f"savings.dis_savings_{what}"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    return reg.add(
        figure_id,
        value,
        fmt.money(value) if money else fmt.count(value),
        label="Dis-savings to date (total)" if money else "Dis-savings to date (returns)",
        unit="gbp_m" if money else "rows",
        definition=f"{'Sum of amount_gbp_m over' if money else 'Count of'} savings rows with attribution shared_services, "
        "status actual, period up to P and a negative amount (a dis-saving).",
        inputs=[reg.rows("savings", mask, f"{SHARED}, amount below zero, period up to {reg.period.period_id}")],
        function=M + "finance.dis_savings",
        check=SUM if money else {"op": "count"},
        metric=f"savings.dis_savings_{what}",
    )


def dis_saving_amount(reg, row: pd.Series) -> str:
    """One dis-saving's amount, as its row holds it (table cell)."""
    line = int(row["_line"])
    figure_id = f"table.dis_savings.{line}.amount"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    return reg.add(
        figure_id,
        float(row["amount_gbp_m"]),
        fmt.money_cell(row["amount_gbp_m"]),
        label=f"Dis-saving, {row['body_id']}, {_period(reg, row['period_id']).label}",
        unit="gbp_m",
        definition="amount_gbp_m of a savings row with attribution shared_services, status actual and a negative amount.",
        inputs=[reg.line_rows("savings", [line], f"line {line}, amount_gbp_m")],
        function=M + "finance.dis_savings",
        check={"op": "value", "column": "amount_gbp_m"},
    )


def run_rate(reg, figures: dict, rate: dict) -> str:
    """Programme savings in the twelve months to End (the annualised run rate), "at least" when a
    return of those periods was not collated, "not collated" when none was."""
    savings = reg.pack.tables["savings"]
    value = figures["savings"]["annualised_run_rate_gbp_m"]
    shown, complete = display_of(value, rate["actual_rows"], rate["not_collated_rows"], fmt.money)
    if "savings.annualised_run_rate" in reg.entries:
        return reg.again("savings.annualised_run_rate", shown)
    mine = savings["period_id"].isin(rate["period_ids"]) & (savings["attribution"] == "shared_services")
    where = f"attribution shared_services, period {rate['period_ids'][0]} to {rate['period_ids'][-1]}"
    inputs = [reg.rows("savings", mine & (savings["status"] == "actual"), f"{where}, status actual")]
    if rate["not_collated_rows"]:
        inputs.append(
            reg.rows("savings", mine & (savings["status"] == "not_collated"), f"{where}, status not_collated")
        )
    return reg.add(
        "savings.annualised_run_rate",
        value,
        shown,
        label="Programme savings in the twelve months to End (annualised run rate)",
        unit="gbp_m",
        definition="Sum of amount_gbp_m over savings rows with attribution shared_services, status actual, in the "
        "periods that start within the year ending at End (none when the periods do not cover that year).",
        inputs=inputs,
        function=M + "finance.run_rate",
        complete=complete,
        check=SUM,
        metric="savings.annualised_run_rate_gbp_m",
    )


def forecast_cells(reg, row: pd.Series, column: str) -> tuple[str, str]:
    """The forecast and actual sums of one forecast-against-actual row (table cells)."""
    frame = reg.pack.tables[row["table"]]
    mask = (frame["period_id"] == row["period_id"]) & (frame[column] == row["kind"])
    mask &= frame["body_id"].isin(row["bodies"])
    where = f"{column} {row['kind']}, period {row['period_id']}, bodies {', '.join(row['bodies'])}"
    shown = []
    for status in ("forecast", "actual"):
        figure_id = f"table.forecast_actual.{row['table']}.{row['kind']}.{row['period_id']}.{status}"
        if figure_id in reg.entries:
            shown.append(reg.again(figure_id))
            continue
        value = row[f"{status}_gbp_m"]
        shown.append(
            reg.add(
                figure_id,
                value,
                fmt.money_cell(value),
                label=f"{status.capitalize()} {row['table']}, {row['kind'].replace('_', ' ')}, {_period(reg, row['period_id']).label}",
                unit="gbp_m",
                definition=f"Sum of amount_gbp_m over {row['table']} rows with status {status} for the period, "
                f"{column} and bodies that have both a forecast and an actual row.",
                inputs=[reg.rows(row["table"], mask & (frame["status"] == status), f"{where}, status {status}")],
                function=M + "finance.forecast_against_actual",
                check=SUM,
            )
        )
    return shown[0], shown[1]


def history_bound(reg, row: pd.Series, bound: str, form=fmt.money, prefix: str = "table.estimate_history") -> str:
    """The low or high end of one estimate of the history (its own row of estimates.csv)."""
    column = f"{bound}_gbp_m"
    figure_id = f"{prefix}.{row['estimate_id']}.{bound}"
    if figure_id in reg.entries:
        return reg.again(figure_id, form(row[column]))
    line = int(row["_line"])
    return reg.add(
        figure_id,
        float(row[column]),
        form(row[column]),
        label=f"{fmt.words(row['measure'])} estimate ({row['scope']}) made {fmt.date(row['as_at'])}, {bound} end",
        unit="gbp_m",
        definition=f"{column} of an estimate made on or before End (every estimate made by then, first and revisions).",
        inputs=[reg.line_rows("estimates", [line], f"line {line}, {row['estimate_id']}")],
        function=M + "estimates.estimate_history",
        check={"op": "value", "column": column},
    )


def history_range(reg, row: pd.Series, prefix: str = "table.estimate_history") -> str:
    """``£400 million to £600 million`` of one estimate of the history (one figure for a point estimate)."""
    low = history_bound(reg, row, "low", prefix=prefix)
    return (
        low if row["low_gbp_m"] == row["high_gbp_m"] else f"{low} to {history_bound(reg, row, 'high', prefix=prefix)}"
    )


def cost_total_points(reg, series: pd.DataFrame, drawn: pd.Series) -> None:
    """Costs chart: total implementation costs to date (central and departmental) where drawn."""
    t = reg.pack.tables
    frame, periods = t["costs"], t["periods"]
    kinds = ("central_programme", "departmental_implementation")
    for index, row in series.iterrows():
        if pd.isna(drawn.loc[index]):
            continue
        pid = row["period_id"]
        up = frame["period_id"].isin(ids_up_to(periods, _period(reg, pid))) & frame["cost_type"].isin(kinds)
        missing = int(sum(row[f"{k}_not_collated_to_date"] for k in kinds))
        inputs = [reg.rows("costs", up & (frame["status"] == "actual"), f"period up to {pid}, both cost types, actual")]
        if missing:
            inputs.append(
                reg.rows("costs", up & (frame["status"] == "not_collated"), f"period up to {pid}, not_collated")
            )
        reg.add(
            f"chart.costs.total.{pid}",
            float(drawn.loc[index]),
            fmt.money(drawn.loc[index]),
            label=f"Chart: total implementation costs to {row['label']} (actual)",
            unit="gbp_m",
            definition="Sum of amount_gbp_m over costs rows of both cost types, status actual, period up to this one; "
            "drawn only where each type has a collated return, at least this much where a return was not collated.",
            inputs=inputs,
            function=M + "finance.cost_series",
            complete=not missing,
            check=SUM,
        )


def _period(reg, period_id: str):
    from audit_pipeline.measures.periods import period_of

    return reg.memo(("period", period_id), lambda: period_of(reg.pack.tables["periods"], period_id))
