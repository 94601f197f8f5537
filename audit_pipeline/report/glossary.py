"""The report's glossary appendix: every abbreviation the report uses, and the terms it defines.

``ABBREVIATIONS`` expands each all-caps abbreviation a report may show (from its own words or
from the sample pack's text); ``tests/test_report_form.py`` fails when a report shows one that is
not here. ``TERMS`` are the report's own terms, always listed. ``glossary_html`` lists the terms
and the abbreviations that the page's text uses (``used``), in alphabetical order.
"""

from __future__ import annotations

import re
from html import escape

ABBREVIATIONS = {
    "CSV": "Comma-separated values: the plain-text table format of most of the data pack's files.",
    "HC": "House of Commons paper: the number under which an NAO report is laid before Parliament.",
    "HR": "Human resources, one of the services the shared service centres provide.",
    "HTML": "Hypertext Markup Language: the format of this report as a web page.",
    "ISSC": "Independent shared service centre: a centre run by a private provider under contract.",
    "KPI": "Key performance indicator: a measure of a centre's service that it reports each quarter.",
    "MI": "Management information: the KPI values that the centres report after each quarter.",
    "NAO": "National Audit Office.",
    "PAC": "Committee of Public Accounts of the House of Commons.",
    "PDF": "Portable Document Format: the printable form of this report.",
    "RAG": "Red, amber, green: a rating scale.",
    "SHA": "Secure Hash Algorithm: the digests under Provenance that identify each input file exactly.",
    "SLA": "Service level agreement: the number of days within which a centre should complete a transaction.",
    "SOM": "Standard operating model: the common processes bodies adopt when they move to a centre.",
    "SSCL": "Shared Services Connected Ltd, the provider of one of the independent shared service centres.",
}

TERMS = {
    "At least": "A total that a return not yet collated would add to: the true figure is this or more.",
    "Derived rating": "A rating this pipeline works out from its own stated rules; never an official rating.",
    "Dis-saving": "A negative saving: a cost the programme caused that offsets savings.",
    "Estimate in force": "For each measure and scope, the latest estimate made on or before the period end.",
    "Implementation rate": "Recommendations implemented as a share of those made, less any superseded.",
    "Not collated": "A return that was due but not collected: missing, never counted as zero.",
    "Onboarding": "A body moving its back-office services to a shared service centre; onboarded on the date it moved.",
    "Overdue body": "A body planned to be onboarded by the period end that had not been onboarded by then.",
    "Overdue recommendation": "A recommendation not started or in progress whose target date in force has passed.",
    "Programme savings": "Savings caused by the shared services; savings from reduced activity or not attributed are kept apart.",
    "Re-dated recommendation": "A recommendation whose target date was moved; the revised date is the one in force.",
    "Reported, not confirmed": "A recommendation the responsible body reports as implemented that audit has not confirmed.",
    "Superseded": "A recommendation overtaken by later events or recommendations; left out of the implementation rate.",
}

_ABBREVIATION = re.compile(r"(?<![A-Za-z])([A-Z]{2,})(?=s?(?![A-Za-z]))")


def abbreviations_in(text: str) -> set[str]:
    """The all-caps abbreviations of ``text`` (``KPIs`` and ``ISSC1`` count as ``KPI`` and ``ISSC``)."""
    return set(_ABBREVIATION.findall(text))


def glossary_rows(used: str) -> list[tuple[str, str]]:
    """(term, meaning) for every term, and every abbreviation that ``used`` (the page's text) shows."""
    shown = abbreviations_in(used)
    rows = [(a, m) for a, m in ABBREVIATIONS.items() if a in shown] + list(TERMS.items())
    return sorted(rows, key=lambda row: row[0].lower())


GLOSSARY_ID = "glossary"
GLOSSARY_TITLE = "Glossary"


def glossary_html(used: str) -> str:
    """The glossary appendix as a section of the page."""
    items = "".join(
        f'<div class="glossary-entry"><dt>{escape(term)}</dt><dd>{escape(meaning)}</dd></div>'
        for term, meaning in glossary_rows(used)
    )
    return (
        f'<section id="{GLOSSARY_ID}" class="report-section appendix glossary">\n<h2>{GLOSSARY_TITLE}</h2>\n'
        "<p>The abbreviations this report uses, and the terms it gives a particular meaning.</p>\n"
        f'<dl class="glossary">{items}</dl>\n</section>\n'
    )
