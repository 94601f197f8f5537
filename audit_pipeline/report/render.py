"""Render a period's executed notebooks into one accessible ``report.html`` and a tagged ``report.pdf``.

HTML: nbconvert's ``HTMLExporter`` (as ``exporters.ReportHTMLExporter``) with the
project template ``templates/report``, which extends ``lab`` through
``extra_template_basedirs`` and shows outputs and narrative only: no code, no
prompts, no scripts, nothing fetched from a network.
PDF: WeasyPrint from that same HTML, as PDF/UA-1: A4, tagged (headings, tables,
figures with their text alternatives), with bookmarks from the headings.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:  # only for annotations: rendering itself needs no pandas
    from audit_pipeline.measures.periods import Period

TEMPLATES = Path(__file__).resolve().parent / "templates"  # package data: the nbconvert template and the index
CSS = TEMPLATES / "report" / "report.css"
LANG = "en-GB"

# How the report template is configured on any HTMLExporter (see exporters.py).
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


def _first_heading(source: str) -> str | None:
    return next((line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")), None)


def merge_notebooks(paths: list[Path]) -> tuple[nbformat.NotebookNode, list[dict]]:
    """One notebook holding every section's cells, and the table of contents (title, anchor).

    The first cell of each notebook opens a report section (``metadata.report_section``).
    """
    merged = nbformat.v4.new_notebook()
    sections = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        merged.metadata.setdefault("kernelspec", nb.metadata.get("kernelspec", {}))
        merged.metadata.setdefault("language_info", nb.metadata.get("language_info", {}))
        for index, cell in enumerate(nb.cells):
            cell = nbformat.from_dict(cell)
            cell.id = f"{path.stem}-{index}"
            if index == 0:
                anchor = f"section-{path.stem}"
                title = (_first_heading(cell.source) if cell.cell_type == "markdown" else None) or path.stem
                cell.metadata["report_section"] = {"id": anchor, "title": title}
                sections.append({"title": title, "anchor": anchor})
            merged.cells.append(cell)
    return merged, sections


def provenance_rows(manifest: dict | None) -> list[dict]:
    """The report's provenance table, from the run's manifest: what went in and what made it."""
    if not manifest:
        return []
    parameters = manifest.get("parameters", {})
    rows = [
        {"item": "Data pack", "value": Path(manifest["inputs"]["data_dir"]).name, "note": "folder"},
        {"item": "Period", "value": parameters.get("period_id", ""), "note": "parameter"},
        {"item": "Code revision", "value": manifest.get("code_revision", "unknown"), "note": "git commit"},
        {"item": "Package code", "value": manifest.get("package_code_sha256", ""), "note": "SHA-256"},
    ]
    rows += [
        {"item": f"Input file {name}", "value": digest, "note": "SHA-256"}
        for name, digest in manifest["inputs"]["files"].items()
    ]
    rows += [
        {"item": f"Notebook {name}", "value": digest, "note": "SHA-256"}
        for name, digest in manifest.get("notebooks", {}).items()
    ]
    return rows


def version_resources(manifest: dict | None) -> dict:
    """The report's status line and its "Changes since the previous version" (``history.py``).

    A report always states the status it had when published: Draft. Sign-offs come after the
    bytes they sign, so clearance is recorded beside the report (``signoff.json``, the index,
    ``pipeline.py list``), never written into it (see ``run/signoff.py``)."""
    version = (manifest or {}).get("version") or {}
    sequence = version.get("sequence")
    status = "Status at publication: Draft" + (f" · version {sequence}" if sequence else "")
    return {"status": status, "supersedes": version.get("supersedes"), "changes": version.get("changes")}


def report_resources(pack, period: Period, sections: list[dict], manifest: dict | None = None) -> dict:
    """What the template needs besides the cells for a period report: titles, contents, stylesheet."""
    programme = pack.programme
    versioning = version_resources(manifest)
    changes = [{"title": "Changes since the previous version", "anchor": "changes"}] if versioning["changes"] else []
    return {
        **versioning,
        "lang": LANG,
        "title": f"{programme['name']}: progress report for {period.label}",
        "kicker": f"Audit report · {programme['sponsor']}",
        "heading": f"{programme['name']}: progress report for {period.label}",
        "subtitle": "Every figure is computed from the programme's data pack, listed under Provenance.",
        "description": f"Audit report on the {programme['name']} programme for {period.label}",
        "sections": sections + changes + ([{"title": "Provenance", "anchor": "provenance"}] if manifest else []),
        "provenance": provenance_rows(manifest),
        "css": stylesheet(),
        "footer": (
            f"{programme['name']} ({programme['programme_id']}), period {period.label}. "
            "Produced by the audit report pipeline from the data pack listed under Provenance."
        ),
    }


def notebook_resources(nb: nbformat.NotebookNode, name: str = "") -> dict:
    """Template resources for one notebook converted on its own (``jupyter nbconvert --to ...``)."""
    title = next(
        (_first_heading(c.source) for c in nb.cells if c.cell_type == "markdown" and _first_heading(c.source)), None
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


def html_exporter():
    """The configured nbconvert exporter for reports."""
    from audit_pipeline.report.exporters import ReportHTMLExporter

    return ReportHTMLExporter()


def render_html(pack, period: Period, notebooks: list[Path], manifest: dict | None = None) -> str:
    """The report's HTML from executed section notebooks (and the run's manifest, for provenance)."""
    merged, sections = merge_notebooks(notebooks)
    resources = {"report": report_resources(pack, period, sections, manifest), "metadata": {"name": "report"}}
    body, _ = html_exporter().from_notebook_node(merged, resources=resources)
    return body


def pdf_bytes(html: str, base_url: Path | str | None = None) -> bytes:
    """A tagged A4 PDF (PDF/UA-1) of report HTML, with bookmarks from its headings."""
    from weasyprint import HTML

    buffer = io.BytesIO()
    HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(
        buffer, pdf_variant="pdf/ua-1", uncompressed_pdf=False
    )
    return buffer.getvalue()


def render_pdf(html: str, target: Path, base_url: Path) -> None:
    """Write ``pdf_bytes`` of the report HTML to ``target``."""
    target.write_bytes(pdf_bytes(html, base_url))


def render_period(pack, period: Period, folder: Path, formats, figures: dict) -> None:
    """Write report.html (and report.pdf) into a period's staging folder."""
    notebooks = sorted((folder / "notebooks").glob("*.ipynb"))
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else None
    html = render_html(pack, period, notebooks, manifest)
    (folder / "report.html").write_text(html, encoding="utf-8")
    if "pdf" in formats:
        render_pdf(html, folder / "report.pdf", folder)
