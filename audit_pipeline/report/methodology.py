"""The report's methodology appendix: how its figures are made, every figure's definition and every threshold.

Definitions are the register's (``report.register.catalogue`` and the sections that register
figures): one entry per distinct definition, named after the figures it defines. Thresholds are
programme.yaml's ``thresholds``, each with the rule that uses it and its value as the register shows it.
"""

from __future__ import annotations

import re
from html import escape

METHODOLOGY_ID = "methodology"
METHODOLOGY_TITLE = "Methodology"

PRINCIPLES = (
    "Every figure is computed from the programme's data pack by the functions named in the figure register; "
    "the same data give the same report.",
    "Point in time: a figure for a period uses only rows of that period and earlier ones, and only what existed "
    "by the period's end (a recommendation made later is in no count of an earlier report).",
    "Only actual rows enter totals to date; forecasts never do.",
    "A return that was not collated is missing, never zero: tables say \u201cnot collated\u201d, charts leave a gap, "
    "and any total it would enter is stated as \u201cat least\u201d.",
    "Ratings derived by this pipeline follow the thresholds below and are never presented as official.",
)

# Each threshold of programme.yaml: its name for readers and the rule that uses it (others by their key).
THRESHOLD_RULES = {
    "mi_late_days": (
        "Management information late after (days)",
        "KPI values reported more than this many days after the period end are late.",
    ),
    "onboarding_slip_days_amber": (
        "Onboarding slip rated amber from (days)",
        "An onboarded body that joined this many days or more after its planned date is rated amber.",
    ),
    "onboarding_slip_days_red": (
        "Onboarding slip rated red from (days)",
        "An onboarded body that joined this many days or more after its planned date is rated red.",
    ),
    "recommendations_overdue_share_amber": (
        "Overdue recommendations for amber (share)",
        "The share of open recommendations overdue at or above which the pipeline's derived rating is amber.",
    ),
    "recommendations_overdue_share_red": (
        "Overdue recommendations for red (share)",
        "The share of open recommendations overdue at or above which the pipeline's derived rating is red.",
    ),
}


# A part of a label that is a code (``issc1``, ``days-to-process``): a register label may name a row
# by its id; the methodology names kinds of figure, never rows.
_CODE_PART = re.compile(r", [a-z0-9][a-z0-9_-]*(?=,|$)")


def _term(labels: list[str], period_labels: list[str]) -> str:
    """A name for the figures that share one definition: their label without the row it is for."""
    stripped = []
    for label in labels:
        label = _CODE_PART.sub("", label)
        for period in sorted(period_labels, key=len, reverse=True):
            label = label.replace(period, "each period")
        stripped.append(label.split(", ")[0] if len(labels) > 1 else label)
    if len(set(stripped)) == 1:
        return stripped[0]
    words = [label.split() for label in stripped]
    common = []
    for group in zip(*words, strict=False):
        if len(set(group)) > 1:
            break
        common.append(group[0])
    return (" ".join(common) + " \u2026") if common else stripped[0]


def definition_rows(entries: list[dict], period_labels: list[str]) -> list[tuple[str, str]]:
    """(name, definition) for each distinct definition of the register, in the order of first use."""
    groups: dict[str, list[str]] = {}
    for entry in entries:
        groups.setdefault(entry["definition"], []).append(entry["label"])
    return [(_term(labels, period_labels), definition) for definition, labels in groups.items()]


def threshold_rows(thresholds: dict, entries: list[dict]) -> list[tuple[str, str, str]]:
    """(name, rule, value as shown) for each threshold of programme.yaml (the register's display when
    the report shows it, else the value as the programme sets it)."""
    shown = {e["id"]: e["display"] for e in entries}
    rows = []
    for key, value in sorted(thresholds.items()):
        name, rule = THRESHOLD_RULES.get(key, (key, "A threshold of the programme."))
        rows.append((name, rule, shown.get(f"thresholds.{key}", str(value))))
    return rows


def methodology_html(entries: list[dict], thresholds: dict, period_labels: list[str]) -> str:
    """The methodology appendix as a section of the page."""
    principles = "".join(f"<li>{escape(p)}</li>" for p in PRINCIPLES)
    limits = "".join(
        f'<div class="method-entry"><dt>{escape(name)}: {escape(value)}</dt><dd>{escape(rule)}</dd></div>'
        for name, rule, value in threshold_rows(thresholds, entries)
    )
    definitions = "".join(
        f'<div class="method-entry"><dt>{escape(name)}</dt><dd>{escape(text)}</dd></div>'
        for name, text in definition_rows(entries, period_labels)
    )
    return (
        f'<section id="{METHODOLOGY_ID}" class="report-section appendix methodology">\n<h2>{METHODOLOGY_TITLE}</h2>\n'
        f"<h3>How the figures are made</h3>\n<ul>{principles}</ul>\n"
        "<h3>Thresholds</h3>\n<p>Set in the programme's programme.yaml and used by this pipeline's own rules.</p>\n"
        f'<dl class="methodology">{limits or "<dd>The programme sets no thresholds.</dd>"}</dl>\n'
        "<h3>Definitions</h3>\n<p>The definition of every figure in this report, as in the figure register. "
        "P is the period reported and End its last day; names such as amount_gbp_m are the data pack's "
        "columns and values (see the pack's data contract).</p>\n"
        f'<dl class="methodology">{definitions}</dl>\n</section>\n'
    )
