"""Section 06, notebooks/06_data_quality: the pack's warnings, every return not collated, and the
exceptions register (plausibility checks with their rules, tolerances and results)."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from audit_pipeline.measures import exceptions as E
from audit_pipeline.measures import finance, service
from audit_pipeline.measures import periods as P
from audit_pipeline.report import display, fmt
from audit_pipeline.report.context import Context
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register import section
from audit_pipeline.report.sections.common import centre_names, kpi_value, period_labels


def _warnings(ctx: Context, n: int) -> str:
    """The number of warnings found when the pack was validated (registered; from validation, not rows)."""
    return ctx.register.add(
        "quality.warnings",
        n,
        fmt.count(n),
        label="Data pack warnings",
        unit="warnings",
        definition="Warnings found when the data pack was validated (accepted, but worth checking).",
        inputs=[],
        function="audit_pipeline.pack.load.load_pack",
        check=None,
    )


@section
def warnings_table(ctx: Context) -> HTML:
    """Every warning found when the pack was validated."""
    rows = pd.DataFrame(
        [(f.file, f.line, f.column, f.value, f.rule) for f in ctx.pack.warnings],
        columns=["file", "line", "column", "value", "rule"],
    )
    return display.table(
        rows,
        f"Data pack warnings ({_warnings(ctx, len(rows))}): accepted, but worth checking with the supplier",
        {"file": "File", "line": "Line", "column": "Column", "value": "Value", "rule": "Warning"},
        formats={"line": lambda v: "" if pd.isna(v) else str(int(v))},
    )


def _not_collated(ctx: Context) -> str:
    """The number of not-collated cost and savings returns up to the period (registered with their rows)."""
    t, reg = ctx.tables, ctx.register
    up = P.ids_up_to(t["periods"], ctx.period)
    inputs = [
        reg.rows(
            name,
            t[name]["period_id"].isin(up) & (t[name]["status"] == "not_collated"),
            f"status not_collated, period up to {ctx.period.period_id}",
        )
        for name in ("costs", "savings")
    ]
    return K.count_rows(
        reg,
        "quality.not_collated_returns",
        "Cost and savings returns not collated",
        "Costs and savings rows up to P with status not_collated.",
        inputs,
        K.M + "finance.not_collated_items",
    )


@section
def not_collated_table(ctx: Context) -> HTML:
    """Every not-collated cost or savings return up to the period: missing, not zero."""
    t = ctx.tables
    items = finance.not_collated_items(t["costs"], t["savings"], t["periods"], ctx.period)
    names = t["bodies"].set_index("body_id")["name"]
    items["body"] = items["body_id"].map(names)
    items["type_words"] = items["type"].map(fmt.words)
    items["period_id"] = items["period_id"].map(period_labels(ctx))
    return display.table(
        items,
        f"Returns not collated up to {fmt.isolate(ctx.period.label)} ({_not_collated(ctx)}): missing data, never counted as zero",
        {"table": "Table", "period_id": "Period", "body": "Body", "type_words": "Type", "line": "Line in file"},
    )


# ---- the exceptions register: plausibility checks, each with its rule and tolerance ---------------

KV = ("KPI value", "KPI values")
FORECAST_NOUNS = {"costs": ("cost forecast", "cost forecasts"), "savings": ("savings forecast", "savings forecasts")}
CHECKS = {
    "before_go_live": "Self-reported KPI values before the centre went live",
    "without_transactions": "Self-reported KPI values with no transactions in the period",
    "reported_vs_derived": "Self-reported KPIs against transaction-derived figures",
    "forecast_vs_actual": "Forecasts against the actuals that followed",
}


def _constant(ctx: Context, figure_id: str, value, display: str, label: str, definition: str) -> str:
    """A tolerance of this pipeline (a constant of ``measures.exceptions``), registered as such."""
    return ctx.register.add(
        figure_id,
        value,
        display,
        label=label,
        unit="tolerance",
        definition=definition,
        inputs=[],
        function=K.M + "exceptions",
        check=None,
    )


def _count(ctx: Context, check: str, what: str, table: str, lines, words: str, noun: tuple = ()) -> str:
    """A count of rows a check examined or found (registered with those rows), with ``noun`` after it."""
    frame = ctx.tables[table]
    shown = K.count_rows(
        ctx.register,
        f"exceptions.{check}.{what}",
        f"{CHECKS[check]}: {words}",
        f"Rows of {table} {words} (measures.exceptions).",
        [ctx.register.rows(table, frame["_line"].isin(list(lines)), words)],
        K.M + f"exceptions.{check}",
    )
    return K.noun(shown, ctx.register.entries[f"exceptions.{check}.{what}"]["value"], *noun) if noun else shown


def _kpi_rows(ctx: Context) -> pd.DataFrame:
    return service.kpi_table(ctx.tables["kpis"], ctx.tables["kpi_values"], ctx.period, ctx.thresholds["mi_late_days"])


def exception_checks(ctx: Context) -> tuple[list[tuple], list[tuple]]:
    """The checks (check, rule and tolerance, examined, found) and the exceptions (check, item, detail)."""
    t, f = ctx.tables, ctx.figures
    kpis = _kpi_rows(ctx)
    names, label = centre_names(ctx), fmt.isolate(ctx.period.label)
    checks, found = [], []

    early = E.before_go_live(kpis, t["centres"], t["periods"])
    checked = early[early["checked"]]
    hits = early[early["exception"]]
    checks.append(
        (
            CHECKS["before_go_live"],
            f"A KPI value for {label} whose centre's go-live date is after the period end (a centre with no "
            "go-live date cannot be checked). Tolerance: none.",
            f"{_count(ctx, 'before_go_live', 'examined', 'kpi_values', checked['_line'], 'KPI values of the period whose centre has a go-live date', KV)}",
            _count(
                ctx,
                "before_go_live",
                "found",
                "kpi_values",
                hits["_line"],
                "KPI values of the period before the centre went live",
            ),
        )
    )
    for _, row in hits.iterrows():
        found.append(
            (
                CHECKS["before_go_live"],
                f"{fmt.isolate(row['name'])}, {fmt.isolate(names.get(row['centre_id'], row['centre_id']))}",
                f"Reported {kpi_value(ctx, row)} for a period ending {fmt.date(ctx.period.end)}; the centre went live on {fmt.date(row['go_live_date'])}.",
            )
        )

    quiet = E.without_transactions(
        kpis, f["service"], ctx.pack.transactions is not None and ctx.pack.transactions.num_rows > 0
    )
    rule = f"A KPI value for {label} from a centre that received no transactions in the period. Tolerance: none."
    if quiet is None:
        checks.append(
            (CHECKS["without_transactions"], rule, "Not checked: the data pack holds no transaction data", fmt.MISSING)
        )
    else:
        hits = quiet[quiet["exception"]]
        checks.append(
            (
                CHECKS["without_transactions"],
                rule,
                f"{_count(ctx, 'without_transactions', 'examined', 'kpi_values', quiet['_line'], 'KPI values of the period', KV)}",
                _count(
                    ctx,
                    "without_transactions",
                    "found",
                    "kpi_values",
                    hits["_line"],
                    "KPI values of the period from a centre with no transactions in it",
                ),
            )
        )
        for _, row in hits.iterrows():
            found.append(
                (
                    CHECKS["without_transactions"],
                    f"{fmt.isolate(row['name'])}, {fmt.isolate(names.get(row['centre_id'], row['centre_id']))}",
                    f"Reported {kpi_value(ctx, row)}; the transaction data hold no transaction received by the centre in {label}.",
                )
            )

    compared = E.reported_vs_derived(kpis, f["service"], t["centres"])
    days, points = (
        _constant(
            ctx,
            f"exceptions.reported_vs_derived.tolerance_{c['unit']}",
            c["tolerance"],
            fmt.measure(c["tolerance"], c["unit"])
            if c["unit"] == "days"
            else f"{fmt.number(c['tolerance'], 1)} percentage points",
            f"Tolerance for a KPI in {c['unit']} against transaction data",
            f"Largest difference between a self-reported KPI in {c['unit']} and the comparable transaction-derived figure that is not an exception.",
        )
        for c in E.COMPARISONS
    )
    checks.append(
        (
            CHECKS["reported_vs_derived"],
            f"A KPI in days against the median days to complete derived from transactions: a difference of more than {days}. "
            f"A KPI in percent whose name says \u201cwithin\u201d against the share of transactions completed within SLA: "
            f"more than {points}. The figures measure related things, not the same thing: an exception is a question for the centre.",
            f"{_count(ctx, 'reported_vs_derived', 'examined', 'kpi_values', compared['_line'], 'KPI values of the period with a comparable transaction-derived figure', KV)} with a comparable figure",
            _count(
                ctx,
                "reported_vs_derived",
                "found",
                "kpi_values",
                compared.loc[compared["exception"].astype(bool), "_line"],
                "KPI values of the period beyond the tolerance from the transaction-derived figure",
            ),
        )
    )
    for _, row in compared[compared["exception"].astype(bool)].iterrows():
        derived = K.service(ctx.register, f, row["centre_id"], row["derived_name"])
        if row["derived_name"] == "within_sla_share":  # to one place, as the difference is given
            share_id = f"service.{row['centre_id']}.within_sla_share"
            derived = ctx.register.again(share_id, fmt.share(f["service"][row["centre_id"]]["within_sla_share"]))
        unit_words = "days" if row["unit"] == "days" else "percentage points"
        difference = ctx.register.add(
            f"exceptions.reported_vs_derived.{row['kpi_id']}.{row['centre_id']}.difference",
            abs(row["difference"]),
            f"{fmt.number(abs(row['difference']), 1)} {unit_words}",
            label=f"Difference between {row['name']} and the transaction-derived figure, {row['centre_id']}",
            unit=row["unit"],
            definition="Self-reported KPI value minus the comparable transaction-derived figure, in the KPI's unit (absolute).",
            inputs=[],
            function=K.M + "exceptions.reported_vs_derived",
            check=None,
        )
        what = (
            f"a median of {derived} days to complete"
            if row["derived_name"] == "median_days_to_complete"
            else f"{derived} completed within SLA"
        )
        direction = "above" if row["difference"] > 0 else "below"
        found.append(
            (
                CHECKS["reported_vs_derived"],
                f"{fmt.isolate(row['name'])}, {fmt.isolate(names.get(row['centre_id'], row['centre_id']))}",
                f"Reported {kpi_value(ctx, row)}; transactions give {what}: the reported value is {difference} {direction}.",
            )
        )

    tolerance = _constant(
        ctx,
        "exceptions.forecast_vs_actual.tolerance",
        E.FORECAST_TOLERANCE,
        fmt.share(E.FORECAST_TOLERANCE),
        "Tolerance for an actual against its forecast",
        "Largest difference between an actual and the forecast for the same period, body and type, as a share of the forecast, that is not an exception.",
    )
    examined, items = [], []
    for table, kind in (("costs", "cost_type"), ("savings", "attribution")):
        pairs = E.forecast_vs_actual(t[table], kind, ctx.period.period_id)
        for _, pair in pairs.iterrows():
            examined += [(table, line) for line in pair["forecast_lines"]]
            if pair["exception"]:
                items.append((table, kind, pair))
    checks.append(
        (
            CHECKS["forecast_vs_actual"],
            f"A forecast cost or saving for {label} and the actual amount reported for the same period, body and type: "
            f"the actual differs from the forecast by more than {tolerance} of the forecast.",
            " and ".join(
                f"{_count(ctx, 'forecast_vs_actual', f'examined_{tb}', tb, [ln for tt, ln in examined if tt == tb], f'{tb} forecast rows of the period with an actual beside them', FORECAST_NOUNS[tb])}"
                for tb in ("costs", "savings")
            ),
            " and ".join(
                f"{_count(ctx, 'forecast_vs_actual', f'found_{tb}', tb, [ln for tt, _k, p in items if tt == tb for ln in p['forecast_lines']], f'{tb} forecast rows of the period beyond the tolerance from the actual', FORECAST_NOUNS[tb])}"
                for tb in ("costs", "savings")
            ),
        )
    )
    bodies = t["bodies"].set_index("body_id")["name"]
    for table, kind, pair in items:
        key = f"exceptions.forecast_vs_actual.{table}.{pair['body_id']}.{pair[kind]}"
        shown = {}
        for what in ("forecast", "actual"):
            lines = pair[f"{what}_lines"]
            shown[what] = ctx.register.add(
                f"{key}.{what}",
                pair[what],
                fmt.money_in_table(pair[what]),
                label=f"{fmt.words(pair[kind])} {what}, {pair['body_id']}, {ctx.period.label}",
                unit="gbp_m",
                definition=f"Sum of amount_gbp_m over the {table} rows with status {what} for the period, body and {kind}.",
                inputs=[ctx.register.line_rows(table, lines, f"status {what}, {pair['body_id']}, {pair[kind]}")],
                function=K.M + "exceptions.forecast_vs_actual",
                check={"op": "sum", "column": "amount_gbp_m"},
            )
        share = ctx.register.add(
            f"{key}.difference",
            None if pd.isna(pair["share"]) else abs(pair["share"]),
            "an amount against a zero forecast" if pd.isna(pair["share"]) else fmt.share(abs(pair["share"])),
            label=f"Actual against forecast, {pair['body_id']}, {pair[kind]}",
            unit="share",
            definition="(actual - forecast) / forecast, absolute, to 4 places.",
            inputs=[],
            function=K.M + "exceptions.forecast_vs_actual",
            check=None,
        )
        direction = "above" if pair["difference"] > 0 else "below"
        found.append(
            (
                CHECKS["forecast_vs_actual"],
                f"{fmt.words(pair[kind])} ({table}), {fmt.isolate(bodies.get(pair['body_id'], pair['body_id']))}",
                f"Forecast {shown['forecast']}; actual {shown['actual']}, {share} {direction} the forecast.",
            )
        )
    return checks, found


@section
def exceptions_register(ctx: Context) -> HTML:
    """Every plausibility check with its rule and tolerance, what it examined and what it found (even nothing)."""
    checks, _ = exception_checks(ctx)
    frame = pd.DataFrame(checks, columns=["check", "rule", "examined", "found"])
    return display.table(
        frame,
        f"Exceptions register for {fmt.isolate(ctx.period.label)}: plausibility checks, their rules and tolerances, and what they found",
        {"check": "Check", "rule": "Rule and tolerance", "examined": "Examined", "found": "Exceptions found"},
    )


@section
def exceptions_list(ctx: Context) -> HTML:
    """Each exception the checks found, with the figures behind it."""
    _, found = exception_checks(ctx)
    frame = pd.DataFrame(found, columns=["check", "item", "detail"])
    return display.table(
        frame,
        f"Exceptions found in {fmt.isolate(ctx.period.label)}: listed for follow-up with the supplier, not corrected",
        {"check": "Check", "item": "Item", "detail": "What was found"},
        empty="No check found an exception in this period.",
    )
