"""What every page of the report shares: the nbconvert template and its options, the stylesheet,
the language, the titles of a notebook converted on its own, and printing HTML to a tagged PDF.

Light on purpose (no nbconvert, WeasyPrint only when printing), so that cache keys and
``report.render`` can read the template configuration cheaply.
"""

from __future__ import annotations

import io
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # package data: the nbconvert template and the index
CSS = TEMPLATES / "report" / "report.css"
LANG = "en-GB"

# How the report template is configured on the HTML exporter (``html.ReportHTMLExporter``).
TEMPLATE_OPTIONS = {
    "template_name": "report",
    "extra_template_basedirs": [str(TEMPLATES)],
    "exclude_input": True,
    "exclude_input_prompt": True,
    "exclude_output_prompt": True,
    "exclude_anchor_links": True,
}


def stylesheet() -> str:
    """The report stylesheet (screen and A4 print), inlined into every page."""
    return CSS.read_text(encoding="utf-8")


def first_heading(source: str) -> str | None:
    """The text of the first markdown heading in ``source``, if any."""
    return next((line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")), None)


def notebook_resources(nb, name: str = "") -> dict:
    """Template resources for one notebook converted on its own (``jupyter nbconvert --to ...``)."""
    title = next(
        (first_heading(c.source) for c in nb.cells if c.cell_type == "markdown" and first_heading(c.source)), None
    )
    title = nb.metadata.get("title") or title or name or "Audit report section"
    return {
        "lang": LANG,
        "title": title,
        "kicker": "Audit report section",
        "heading": title,
        "subtitle": "",
        "description": title,
        "sections": [],
        "css": stylesheet(),
        "footer": "Produced from an executed section notebook; figures are traceable to its data pack.",
    }


def pdf_bytes(html: str, base_url: Path | str | None = None) -> bytes:
    """A tagged A4 PDF (PDF/UA-1) of report HTML, with bookmarks from its headings (WeasyPrint), its tag
    tree repaired where WeasyPrint falls short of PDF/UA-1 (``tagging.repair``: running headers and
    page numbers as artifacts, header cells with a scope, lists without ``Div`` between list and item)."""
    from weasyprint import HTML

    from audit_pipeline.report.exporters.tagging import repair

    buffer = io.BytesIO()
    HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(
        buffer, pdf_variant="pdf/ua-1", uncompressed_pdf=False
    )
    return repair(buffer.getvalue())
