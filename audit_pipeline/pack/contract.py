"""The data contract (shared/spec/DATA_CONTRACT.md) as data.

Each table lists its columns with a type and whether the column must be
present and the cell filled. Rules that span columns or tables live in
``validate.py``; this module only says what a pack holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

MEASURES = ("annual_savings", "implementation_cost", "cumulative_savings")
SOM_STATUSES = ("adopted", "adopted_with_variations", "not_adopted", "not_assessed")
COST_TYPES = ("central_programme", "departmental_implementation")
AMOUNT_STATUSES = ("actual", "forecast", "not_collated")
ATTRIBUTIONS = ("shared_services", "reduced_activity", "unattributed")
EVIDENCE_LEVELS = ("sufficient", "partial", "insufficient")
RESPONSES = ("accepted", "partially_accepted", "not_accepted")
REC_STATUSES = ("not_started", "in_progress", "implemented", "superseded", "not_implemented")
RATINGS = ("green", "amber_green", "amber", "amber_red", "red")
UNITS = ("percent", "days", "count", "gbp_m")
DIRECTIONS = ("higher_is_better", "lower_is_better")
SERVICES = ("finance", "hr", "procurement")


@dataclass(frozen=True)
class Column:
    """A column of a table.

    ``kind`` is one of id, text, date, money, int, number, enum, services.
    ``present``: the header must be in the file. ``filled``: every cell must
    hold a value. ``minimum``: the least allowed value for numbers.
    """

    name: str
    kind: str
    present: bool = True
    filled: bool = True
    values: tuple[str, ...] = ()
    minimum: float | None = None
    strictly_above: bool = False


def _opt(name: str, kind: str, **kw) -> Column:
    return Column(name, kind, present=False, filled=False, **kw)


@dataclass(frozen=True)
class Table:
    """A table of the pack: its columns, its key and whether it is required."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    parquet: bool = False
    needs: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "periods",
            True,
            (
                Column("period_id", "id"),
                Column("label", "text"),
                Column("start_date", "date"),
                Column("end_date", "date"),
            ),
            key=("period_id",),
        ),
        Table(
            "estimates",
            True,
            (
                Column("estimate_id", "id"),
                Column("measure", "enum", values=MEASURES),
                Column("scope", "text"),
                Column("low_gbp_m", "money", minimum=0),
                Column("high_gbp_m", "money", minimum=0),
                _opt("horizon", "text"),
                Column("as_at", "date"),
                _opt("source", "text"),
            ),
            key=("estimate_id",),
        ),
        Table(
            "centres",
            True,
            (
                Column("centre_id", "id"),
                Column("name", "text"),
                Column("provider", "text"),
                Column("services", "services", values=SERVICES),
                _opt("go_live_date", "date"),
            ),
            key=("centre_id",),
        ),
        Table(
            "bodies",
            True,
            (
                Column("body_id", "id"),
                Column("name", "text"),
                Column("centre_id", "id", filled=False),
                _opt("planned_onboard_date", "date"),
                _opt("actual_onboard_date", "date"),
                Column("som_status", "enum", values=SOM_STATUSES),
                Column("variations", "int", minimum=0),
                Column("customers", "int", minimum=0),
                _opt("open_change_requests", "int", minimum=0),
            ),
            key=("body_id",),
        ),
        Table(
            "costs",
            True,
            (
                Column("period_id", "id"),
                Column("body_id", "id"),
                Column("cost_type", "enum", values=COST_TYPES),
                Column("amount_gbp_m", "money", filled=False, minimum=0),
                Column("status", "enum", values=AMOUNT_STATUSES),
                _opt("source", "text"),
            ),
        ),
        Table(
            "savings",
            True,
            (
                Column("period_id", "id"),
                Column("body_id", "id"),
                Column("attribution", "enum", values=ATTRIBUTIONS),
                Column("amount_gbp_m", "money", filled=False),
                Column("status", "enum", values=AMOUNT_STATUSES),
                _opt("evidence_level", "enum", values=EVIDENCE_LEVELS),
                _opt("source", "text"),
            ),
        ),
        Table(
            "recommendations",
            True,
            (
                Column("rec_id", "id"),
                Column("source_report", "text"),
                Column("source_date", "date"),
                Column("text", "text"),
                Column("owner", "text"),
                Column("response", "enum", values=RESPONSES),
                _opt("target_date", "date"),
            ),
            key=("rec_id",),
        ),
        Table(
            "recommendation_status",
            True,
            (
                Column("rec_id", "id"),
                Column("period_id", "id"),
                Column("status", "enum", values=REC_STATUSES),
                _opt("reported_status", "enum", values=REC_STATUSES),
                _opt("current_target_date", "date"),
                _opt("revision_reason", "text"),
                _opt("evidence", "text"),
                _opt("assessed_on", "date"),
            ),
            key=("rec_id", "period_id"),
        ),
        Table(
            "delivery_confidence",
            False,
            (Column("period_id", "id"), Column("rating", "enum", values=RATINGS), _opt("assessor", "text")),
            key=("period_id",),
        ),
        Table(
            "kpis",
            False,
            (
                Column("kpi_id", "id"),
                Column("name", "text"),
                Column("unit", "enum", values=UNITS),
                Column("direction", "enum", values=DIRECTIONS),
                _opt("benchmark", "number"),
            ),
            key=("kpi_id",),
        ),
        Table(
            "kpi_values",
            False,
            (
                Column("period_id", "id"),
                Column("centre_id", "id"),
                Column("kpi_id", "id"),
                Column("value", "number"),
                _opt("reported_on", "date"),
            ),
            needs=("kpis",),
        ),
        Table(
            "transactions",
            False,
            (
                Column("transaction_id", "text"),
                Column("centre_id", "id"),
                Column("body_id", "id"),
                Column("service", "enum", values=SERVICES),
                Column("received_date", "date"),
                _opt("completed_date", "date"),
                Column("sla_days", "int", minimum=0, strictly_above=True),
            ),
            key=("transaction_id",),
            parquet=True,
        ),
    )
}

# Foreign keys: (table, column) -> (referenced table, referenced column).
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("bodies", "centre_id"): ("centres", "centre_id"),
    ("costs", "period_id"): ("periods", "period_id"),
    ("costs", "body_id"): ("bodies", "body_id"),
    ("savings", "period_id"): ("periods", "period_id"),
    ("savings", "body_id"): ("bodies", "body_id"),
    ("recommendation_status", "rec_id"): ("recommendations", "rec_id"),
    ("recommendation_status", "period_id"): ("periods", "period_id"),
    ("delivery_confidence", "period_id"): ("periods", "period_id"),
    ("kpi_values", "period_id"): ("periods", "period_id"),
    ("kpi_values", "centre_id"): ("centres", "centre_id"),
    ("kpi_values", "kpi_id"): ("kpis", "kpi_id"),
    ("transactions", "centre_id"): ("centres", "centre_id"),
    ("transactions", "body_id"): ("bodies", "body_id"),
}

PROGRAMME_KEYS = {
    "programme_id": "id",
    "name": "text",
    "sponsor": "text",
    "strategy_published": "date",
}
THRESHOLD_DEFAULTS = {
    # Onboarding: a body this many days or more behind plan is amber / red.
    "onboarding_slip_days_amber": 90,
    "onboarding_slip_days_red": 180,
    # Management information reported later than this after period end is "late".
    "mi_late_days": 30,
    # Share of recommendations overdue at or above which the derived rating is amber / red.
    "recommendations_overdue_share_amber": 0.25,
    "recommendations_overdue_share_red": 0.5,
}
OPTIONAL_PROGRAMME_KEYS = {"thresholds", "description", "audit_body", "currency_note", "issuer", "data_note"}
# Optional keys shown on the report's cover, each a line of text when given: who issues the report
# (e.g. "National Audit Office") and a note on the data (what of it is illustrative or unaudited).
PROGRAMME_TEXT_KEYS = ("issuer", "data_note")

# Names the tool itself uses in a programme's output folder (<out>/<programme_id>/): a period_id may
# not be one of them, in any case, since each period is published as a folder of that name beside them.
RESERVED_NAMES = frozenset({"failed", "history", "index.html", "index", "units", "lock", "staging", "retired", "tmp"})

# The auditor's commentary (optional): commentary.md, one "## <period_id>" part per period, each
# "### <section heading>" part shown under that report section, "### Conclusion" in the summary.
# A reference {{id}} may name these figures of the period (the key figures of metrics.json, each
# with the id of the figure register) and the ids the patterns give for the pack's own values;
# any other id is a validation error (pack.commentary).
COMMENTARY_FILE = "commentary.md"
COMMENTARY_CONCLUSION = "Conclusion"
COMMENTARY_FIGURES = (
    "costs.total_to_date",
    "costs.central_programme_to_date",
    "costs.departmental_to_date",
    "costs.departmental_not_collated_bodies",
    "costs.forecast",
    "savings.shared_services_to_date",
    "savings.reduced_activity_to_date",
    "savings.unattributed_to_date",
    "savings.not_collated_rows",
    "onboarding.bodies",
    "onboarding.onboarded",
    "onboarding.overdue",
    "onboarding.customers_served",
    *(f"onboarding.som_{s}" for s in (*SOM_STATUSES, "not_onboarded")),
    "recommendations.total",
    *(f"recommendations.{s}" for s in REC_STATUSES),
    "recommendations.overdue",
    "recommendations.reported_not_confirmed",
    "recommendations.implementation_rate",
)
COMMENTARY_PATTERNS = (
    "service.<centre_id>.{volume,within_sla_share,median_days_to_complete,open_at_end}",
    "thresholds.<threshold>",
    "recommendations.by_source.<source>.{implemented,total}",
    "estimates.<estimate>.{low,high}",
)
