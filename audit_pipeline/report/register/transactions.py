"""Transaction-derived figures (``service`` of metrics.json) as register entries: the filter, not lines."""

from __future__ import annotations

from audit_pipeline.report import fmt

M = "audit_pipeline.measures."


SERVICE = {
    "volume": ("Transactions received in the period", "transactions", "count", fmt.count),
    "within_sla_share": ("Share completed within SLA", "share", "within_sla_share", fmt.share),
    "median_days_to_complete": ("Median days to complete", "days", "median_days", lambda v: fmt.number(v, 1)),
    "open_at_end": ("Transactions open at the period end", "transactions", "open_at_end", fmt.count),
}
SERVICE_DEFINITIONS = {
    "volume": "Count of transactions with received_date within P.",
    "within_sla_share": (
        "Transactions received within P completed with (completed - received) in days <= sla_days, "
        "divided by volume, rounded to 4 places."
    ),
    "median_days_to_complete": "Median of (completed - received) in days over transactions received within P and completed.",
    "open_at_end": "Transactions received on or before End and not completed by End (whatever their period).",
}


def service(reg, figures: dict, centre: str, name: str) -> str:
    """A transaction-derived figure of a centre (``service.<centre>.<name>`` of metrics.json)."""
    figure_id = f"service.{centre}.{name}"
    if figure_id in reg.entries:
        return reg.again(figure_id)
    value = figures["service"][centre][name]
    label, unit, op, show = SERVICE[name]
    start, end = reg.period.start.date().isoformat(), reg.period.end.date().isoformat()
    where = {"centre_id": centre, "start": start, "end": end}
    volume = figures["service"][centre]["volume"]
    rows = figures["service"][centre]["open_at_end"] if name == "open_at_end" else volume
    text = (
        f"centre_id {centre}, received on or before {end}, not completed by then"
        if name == "open_at_end"
        else f"centre_id {centre}, received_date {start} to {end}"
    )
    return reg.add(
        figure_id,
        value,
        show(value),
        label=f"{label}, {centre}",
        unit=unit,
        definition=SERVICE_DEFINITIONS[name],
        inputs=[reg.transactions_input(text, rows, where)],
        function=M + "service.service_figures",
        check={"op": "tx_" + op},
        metric=f"service.{centre}.{name}",
    )
