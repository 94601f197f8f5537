"""The key figures of metrics.json as register entries: label, unit, definition and the rows each used.

``key(reg, figures, "costs.central_programme_to_date_gbp_m")`` registers that figure
(value from ``figures``, the ``key_figures`` of the period) with the rows it was
computed from, selected here by the same rules as ``measures`` (the measures stay
pure; this is the boundary that records what they used), and returns its marked
display. Definitions are the sentences of docs/OUTPUTS.md.
"""

from __future__ import annotations

import pandas as pd

from audit_pipeline.measures import onboarding as OB
from audit_pipeline.measures import recommendations as R
from audit_pipeline.measures.periods import ids_after, ids_up_to
from audit_pipeline.report import fmt
from audit_pipeline.report.register.collation import TO_DATE, collation, missing_input, not_collated  # noqa: F401
from audit_pipeline.report.register.transactions import SERVICE, SERVICE_DEFINITIONS, service  # noqa: F401

M = "audit_pipeline.measures."
UP_TO = "period up to {p}"

# metric path -> (figure id, label, unit, definition, function)
KEYS = {
    "costs.central_programme_to_date_gbp_m": (
        "costs.central_programme_to_date",
        "Central programme costs to date",
        "gbp_m",
        "Sum of amount_gbp_m over costs rows with cost_type central_programme, status actual, period up to P.",
        M + "finance.cost_figures",
    ),
    "costs.departmental_to_date_gbp_m": (
        "costs.departmental_to_date",
        "Departmental implementation costs collated to date",
        "gbp_m",
        "Sum of amount_gbp_m over costs rows with cost_type departmental_implementation, status actual, period up to P.",
        M + "finance.cost_figures",
    ),
    "costs.departmental_not_collated_bodies": (
        "costs.departmental_not_collated_bodies",
        "Bodies whose departmental costs were not collated",
        "bodies",
        "Distinct bodies with a departmental_implementation row that is not_collated in a period up to P.",
        M + "finance.cost_figures",
    ),
    "costs.forecast_gbp_m": (
        "costs.forecast",
        "Forecast costs for later periods",
        "gbp_m",
        "Sum of forecast rows (any cost type) for periods after P.",
        M + "finance.cost_figures",
    ),
    "savings.shared_services_to_date_gbp_m": (
        "savings.shared_services_to_date",
        "Programme savings to date (shared services)",
        "gbp_m",
        "Sum of actual savings rows up to P with attribution shared_services.",
        M + "finance.savings_figures",
    ),
    "savings.reduced_activity_to_date_gbp_m": (
        "savings.reduced_activity_to_date",
        "Savings from reduced activity to date",
        "gbp_m",
        "Sum of actual savings rows up to P with attribution reduced_activity.",
        M + "finance.savings_figures",
    ),
    "savings.unattributed_to_date_gbp_m": (
        "savings.unattributed_to_date",
        "Unattributed savings to date",
        "gbp_m",
        "Sum of actual savings rows up to P with attribution unattributed.",
        M + "finance.savings_figures",
    ),
    "savings.not_collated_rows": (
        "savings.not_collated_rows",
        "Savings returns not collated",
        "rows",
        "Savings rows up to P with status not_collated.",
        M + "finance.savings_figures",
    ),
    "onboarding.bodies": ("onboarding.bodies", "Participating bodies", "bodies", "Rows in bodies.", ""),
    "onboarding.onboarded": (
        "onboarding.onboarded",
        "Bodies onboarded",
        "bodies",
        "Bodies with actual_onboard_date on or before End.",
        "",
    ),
    "onboarding.overdue": (
        "onboarding.overdue",
        "Bodies overdue to onboard",
        "bodies",
        "Bodies with planned_onboard_date on or before End and not onboarded by End.",
        "",
    ),
    "onboarding.customers_served": (
        "onboarding.customers_served",
        "Customers served",
        "customers",
        "Sum of customers over bodies onboarded by End.",
        "",
    ),
}
for _key in KEYS:
    if _key.startswith("onboarding."):
        KEYS[_key] = KEYS[_key][:4] + (M + "onboarding.onboarding_figures",)

REC_DEFINITION = (
    "Recommendations made by End (source_date on or before End) whose status at P, the status of their row "
    "in the latest period up to P (else not_started), is {status}."
)


def _display(unit: str, value) -> str:
    if unit == "gbp_m":
        return fmt.money(value)
    if unit == "share":
        return fmt.share(value)
    return fmt.count(value)


def _get(figures: dict, path: str):
    value = figures
    for part in path.split("."):
        value = value[part]
    return value


def _inputs(reg, path: str) -> tuple[list[dict], dict | None]:
    """The rows behind a key figure, and how the figure-check re-derives it from them."""
    t, period = reg.pack.tables, reg.period
    where = UP_TO.format(p=period.period_id)
    up_to = reg.memo(("up_to", period.period_id), lambda: ids_up_to(t["periods"], period))
    if path.startswith("costs."):
        costs = t["costs"]
        up = costs["period_id"].isin(up_to)
        dep = costs["cost_type"] == "departmental_implementation"
        if path == "costs.forecast_gbp_m":
            mask = costs["period_id"].isin(ids_after(t["periods"], period)) & (costs["status"] == "forecast")
            return [reg.rows("costs", mask, f"status forecast, period after {period.period_id}")], {
                "op": "sum",
                "column": "amount_gbp_m",
            }
        if path == "costs.departmental_not_collated_bodies":
            mask = up & dep & (costs["status"] == "not_collated")
            text = f"cost_type departmental_implementation, status not_collated, {where}"
            return [reg.rows("costs", mask, text)], {"op": "nunique", "column": "body_id"}
        kind = "central_programme" if "central" in path else "departmental_implementation"
        mask = up & (costs["status"] == "actual") & (costs["cost_type"] == kind)
        return [reg.rows("costs", mask, f"cost_type {kind}, status actual, {where}")], {
            "op": "sum",
            "column": "amount_gbp_m",
        }
    if path.startswith("savings."):
        sv = t["savings"]
        up = sv["period_id"].isin(up_to)
        if path == "savings.not_collated_rows":
            return [reg.rows("savings", up & (sv["status"] == "not_collated"), f"status not_collated, {where}")], {
                "op": "count"
            }
        attribution = path.split(".")[1].removesuffix("_to_date_gbp_m")
        mask = up & (sv["status"] == "actual") & (sv["attribution"] == attribution)
        return [reg.rows("savings", mask, f"attribution {attribution}, status actual, {where}")], {
            "op": "sum",
            "column": "amount_gbp_m",
        }
    if path.startswith("onboarding."):
        bodies = t["bodies"]
        state = reg.memo(("onboarding_state", period.period_id), lambda: OB.onboarding_state(bodies, period))
        end = fmt.date(period.end)
        name = path.split(".")[1]
        if name == "bodies":
            return [reg.rows("bodies", None, "every body")], {"op": "count"}
        if name == "overdue":
            mask = state["state"] == OB.OVERDUE
            return [reg.rows("bodies", mask, f"planned on or before {end}, not onboarded by then")], {"op": "count"}
        mask = state["onboarded"]
        if name.startswith("som_"):
            status = name.removeprefix("som_")
            if status == "not_onboarded":
                return [reg.rows("bodies", ~mask, f"not onboarded by {end}")], {"op": "count"}
            mask = mask & (bodies["som_status"] == status)
            return [reg.rows("bodies", mask, f"onboarded by {end}, som_status {status}")], {"op": "count"}
        text = f"actual_onboard_date on or before {end}"
        if name == "customers_served":
            return [reg.rows("bodies", mask, text)], {"op": "sum", "column": "customers"}
        return [reg.rows("bodies", mask, text)], {"op": "count"}
    return [], None


def key(reg, figures: dict, path: str, display: str | None = None) -> str:
    """Register the key figure at ``path`` of metrics.json (``figures``) and return its marked display.

    A sum to date that a not-collated return would enter is registered as incomplete (shown
    "at least"); one with no collated return at all is shown as "not collated", never as zero.
    """
    figure_id, label, unit, definition, function = KEYS[path]
    if figure_id in reg.entries:
        return reg.again(figure_id, display)
    value = _get(figures, path)
    inputs, check = _inputs(reg, path)
    complete = not collation(reg, path)[1] if path in TO_DATE else True
    inputs = inputs + (missing_input(reg, path) if path in TO_DATE else [])
    if display is None:
        display = fmt.NOT_COLLATED if not_collated(reg, path) else _display(unit, value)
    return reg.add(
        figure_id,
        value,
        display,
        label=label,
        unit=unit,
        definition=definition,
        inputs=inputs,
        function=function,
        complete=complete,
        check=check,
        metric=path,
    )


def total_costs(reg, figures: dict, display: str) -> str:
    """Implementation costs to date (central and departmental, actual), "at least" when incomplete."""
    c = figures["costs"]
    paths = ("costs.central_programme_to_date_gbp_m", "costs.departmental_to_date_gbp_m")
    if all(not_collated(reg, p) for p in paths):
        display = fmt.NOT_COLLATED  # no cost return collated at all: missing, never £0
    if "costs.total_to_date" in reg.entries:
        return reg.again("costs.total_to_date", display)
    inputs = [i for p in paths for i in _inputs(reg, p)[0]] + [i for p in paths for i in missing_input(reg, p)]
    return reg.add(
        "costs.total_to_date",
        round(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"], 10),
        display,
        label="Implementation costs to date",
        unit="gbp_m",
        definition=(
            "Central programme costs to date plus departmental implementation costs collated to date; "
            "at least this much when any cost return was not collated."
        ),
        inputs=inputs,
        function=M + "finance.cost_figures",
        complete=not any(collation(reg, p)[1] for p in paths),
        check={"op": "sum", "column": "amount_gbp_m"},
    )


def som(reg, figures: dict, status: str) -> str:
    """A standard operating model count (``som_<status>``), with the bodies it counts."""
    path = f"onboarding.som_{status}"
    KEYS.setdefault(
        path,
        (
            f"onboarding.som_{status}",
            f"Bodies onboarded with operating model {status.replace('_', ' ')}"
            if status != "not_onboarded"
            else "Bodies not yet onboarded (no operating-model status)",
            "bodies",
            "Count of bodies onboarded by End by som_status; som_not_onboarded counts bodies not onboarded by End.",
            M + "onboarding.onboarding_figures",
        ),
    )
    return key(reg, figures, path)


def recommendation_count(reg, track: pd.DataFrame, name: str, mask, label: str, definition: str) -> str:
    """A count of recommendations in scope (rows of ``track``), with their rows in recommendations."""
    figure_id = f"recommendations.{name}"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    recs = reg.pack.tables["recommendations"]
    ids = set(track.loc[mask, "rec_id"])
    rows = reg.rows("recommendations", recs["rec_id"].isin(ids), f"in scope at {reg.period.period_id}, {label.lower()}")
    return reg.add(
        figure_id,
        int(len(ids)),
        fmt.count(len(ids)),
        label=label,
        unit="recommendations",
        definition=definition,
        inputs=[rows],
        function=M + "recommendations.recommendation_figures",
        check={"op": "count"},
        metric=f"recommendations.{name}" if "." not in name else None,
    )


def tracker(reg) -> pd.DataFrame:
    """The recommendation tracker at the register's period (``measures.recommendations.tracker``)."""
    return period_tracker(reg, reg.period)


def period_tracker(reg, period) -> pd.DataFrame:
    """The recommendation tracker at ``period``, computed once per register."""
    t = reg.pack.tables
    return reg.memo(
        ("tracker", period.period_id),
        lambda: R.tracker(t["recommendations"], t["recommendation_status"], t["periods"], period),
    )


def noun(marked: str, n: int, singular: str, plural: str | None = None) -> str:
    """A marked count with its noun: ``13 bodies`` (the noun agrees with ``n``)."""
    return f"{marked} {singular if int(n) == 1 else (plural or singular + 's')}"


def _slug(text) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower()).strip("_")


def estimate(reg, row: pd.Series, bound: str, form=fmt.money) -> str:
    """The low or high end of an estimate (a row of ``estimates``), with its line in the file."""
    figure_id, column = f"estimates.{row['measure']}.{_slug(row['scope'])}.{bound}", f"{bound}_gbp_m"
    if figure_id in reg.entries:
        return reg.again(figure_id, form(row[column]))
    return reg.add(
        figure_id,
        float(row[column]),
        form(row[column]),
        label=f"{fmt.words(row['measure'])} estimate ({row['scope']}), {bound} end",
        unit="gbp_m",
        definition=(f"For each (measure, scope), the estimate with the latest as_at on or before End; its {column}."),
        inputs=[
            reg.line_rows(
                "estimates",
                [int(row["_line"])],
                f"{row['measure']}, {row['scope']}, as at {fmt.date(row['as_at'])}",
            )
        ],
        function=M + "finance.estimates_in_force",
        check={"op": "value", "column": column},
    )


def estimate_range(reg, row: pd.Series) -> str:
    """``£400 million to £600 million`` (one figure for a point estimate), each end registered."""
    if row["low_gbp_m"] == row["high_gbp_m"]:
        return estimate(reg, row, "low")
    return f"{estimate(reg, row, 'low')} to {estimate(reg, row, 'high')}"


def threshold(reg, name: str, unit: str = "days") -> str:
    """A threshold of programme.yaml (``thresholds.<name>``)."""
    figure_id = f"thresholds.{name}"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    value = reg.pack.programme["thresholds"][name]
    return reg.add(
        figure_id,
        value,
        fmt.number(value, 2),
        label=f"Threshold {name.replace('_', ' ')}",
        unit=unit,
        definition="A threshold set in the pack's programme.yaml (thresholds), used by this pipeline's own rules.",
        inputs=[reg.programme_input(f"thresholds.{name}")],
        function="audit_pipeline.pack.programme.read_programme",
        check={"op": "programme", "key": f"thresholds.{name}"},
    )


def count_rows(reg, figure_id: str, label: str, definition: str, inputs: list[dict], function: str) -> str:
    """A count of the rows listed in ``inputs`` (re-derived by counting them)."""
    if figure_id in reg.entries:
        return reg.again(figure_id)
    n = sum(i["rows"] for i in inputs)
    return reg.add(
        figure_id,
        n,
        fmt.count(n),
        label=label,
        unit="rows",
        definition=definition,
        inputs=inputs,
        function=function,
        check={"op": "count"},
    )


def cell_value(
    reg, figure_id: str, table: str, line: int, column: str, value, display: str, label: str, definition: str
) -> str:
    """One value of one row of a pack table, shown as it is (re-derived by reading that cell)."""
    if figure_id in reg.entries:
        return reg.again(figure_id, display)
    return reg.add(
        figure_id,
        value,
        display,
        label=label,
        unit=column,
        definition=definition,
        inputs=[reg.line_rows(table, [line], f"line {line}, column {column}")],
        function="audit_pipeline.pack.load.load_pack",
        check={"op": "value", "column": column},
    )
