"""Render a period's executed notebooks into one accessible ``report.html`` and a tagged ``report.pdf``.

HTML: nbconvert's ``HTMLExporter`` with the project template ``templates/report``
(extends ``lab`` through ``extra_template_basedirs``), code and prompts excluded.
PDF: WeasyPrint from that same HTML, as PDF/UA-1 (tagged, with bookmarks).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .measures.periods import Period

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CSS = TEMPLATES / "report" / "report.css"


def merge_notebooks(paths: list[Path]) -> tuple[nbformat.NotebookNode, list[dict]]:
    """One notebook holding every section's cells, and the table of contents (title, anchor)."""
    merged = nbformat.v4.new_notebook()
    sections = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        merged.metadata.setdefault("kernelspec", nb.metadata.get("kernelspec", {}))
        merged.metadata.setdefault("language_info", nb.metadata.get("language_info", {}))
        for index, cell in enumerate(nb.cells):
            cell = nbformat.from_dict(cell)
            cell.id = f"{path.stem}-{index}"
            if index == 0 and cell.cell_type == "markdown":
                title = next((line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")), path.stem)
                cell.id = f"section-{path.stem}"
                sections.append({"title": title, "anchor": f"cell-id=section-{path.stem}"})
            merged.cells.append(cell)
    return merged, sections


def report_resources(pack, period: Period, sections: list[dict]) -> dict:
    """What the template needs besides the cells: titles, contents, stylesheet."""
    programme = pack.programme
    return {
        "title": f"{programme['name']}: audit report for {period.label}",
        "kicker": f"{programme['sponsor']} · {programme['name']}",
        "heading": f"Progress report: {period.label}",
        "subtitle": f"Data as at {period.end.day} {period.end:%B %Y}. Generated from the data pack by the audit report pipeline.",
        "description": f"Audit report on the {programme['name']} programme for {period.label}",
        "sections": sections,
        "css": CSS.read_text(encoding="utf-8"),
        "footer": f"{programme['name']} ({programme['programme_id']}), period {period.period_id}. Figures are traceable to the data pack listed under Provenance.",
    }


def exporter():
    """The configured nbconvert exporter for reports."""
    from nbconvert import HTMLExporter

    html = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)])
    html.exclude_input = True
    html.exclude_input_prompt = True
    html.exclude_output_prompt = True
    html.exclude_anchor_links = True
    return html


def render_html(pack, period: Period, notebooks: list[Path]) -> str:
    """The report's HTML from executed section notebooks."""
    merged, sections = merge_notebooks(notebooks)
    resources = {"report": report_resources(pack, period, sections), "metadata": {"name": "report"}, "language_code": "en-GB"}
    body, _ = exporter().from_notebook_node(merged, resources=resources)
    return body


def render_pdf(html: str, target: Path, base_url: Path) -> None:
    """A tagged A4 PDF (PDF/UA-1) of the report HTML, with bookmarks from its headings."""
    from weasyprint import HTML

    HTML(string=html, base_url=str(base_url)).write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)


def render_period(pack, period: Period, folder: Path, formats, figures: dict) -> None:
    """Write report.html (and report.pdf) into a period's staging folder."""
    notebooks = sorted((folder / "notebooks").glob("*.ipynb"))
    html = render_html(pack, period, notebooks)
    (folder / "report.html").write_text(html, encoding="utf-8")
    if "pdf" in formats:
        render_pdf(html, folder / "report.pdf", folder)
