"""Render a period's executed notebooks into one accessible ``report.html`` and a tagged ``report.pdf``.

HTML: ``exporters.html.ReportHTMLExporter`` (the exporters own the nbconvert template
configuration) over one notebook merged from the section notebooks, with the report's titles,
contents and provenance. PDF: WeasyPrint (``exporters.page.pdf_bytes``) from that same HTML,
as PDF/UA-1: A4, tagged (headings, tables, figures with their text alternatives), with
bookmarks from the headings. Render uses the exporters; they never import render.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from markupsafe import Markup

from audit_pipeline.report import chart_tables
from audit_pipeline.report.bidi import html as bidi_html
from audit_pipeline.report.bidi import isolate, plain
from audit_pipeline.report.exporters.page import (  # noqa: F401  (TEMPLATES, notebook_resources: used by run/)
    LANG,
    TEMPLATES,
    first_heading,
    notebook_resources,
    pdf_bytes,
    stylesheet,
)

if TYPE_CHECKING:  # only for annotations: rendering itself needs no pandas
    from audit_pipeline.measures.periods import Period


def merge_notebooks(paths: list[Path]) -> tuple[nbformat.NotebookNode, list[dict]]:
    """One notebook holding every section's cells, and the table of contents (title, anchor).

    The first cell of each notebook opens a report section (``metadata.report_section``).
    """
    from audit_pipeline.report import form  # the Source lines every table and chart gets

    merged = nbformat.v4.new_notebook()
    sections = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        reads = list((nb.metadata.get("audit_pipeline") or {}).get("reads") or [])
        merged.metadata.setdefault("kernelspec", nb.metadata.get("kernelspec", {}))
        merged.metadata.setdefault("language_info", nb.metadata.get("language_info", {}))
        for index, cell in enumerate(nb.cells):
            cell = nbformat.from_dict(cell)
            cell.id = f"{path.stem}-{index}"
            if index == 0:
                anchor = f"section-{path.stem}"
                title = (first_heading(cell.source) if cell.cell_type == "markdown" else None) or path.stem
                cell.metadata["report_section"] = {"id": anchor, "title": title}
                sections.append({"title": title, "anchor": anchor})
            form.complete_sources(cell, reads)
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
        {
            "item": f"Input {name}",
            "value": read["digest"],
            "note": "SHA-256 of the file" if read["read"] == "whole file" else f"digest of {read['read']}",
        }
        for name, read in manifest["inputs"]["files"].items()
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


def _day(day) -> str:
    """``31 March 2014`` (``fmt.date`` without loading pandas here)."""
    return f"{day.day} {day:%B %Y}"


def cover_resources(programme: dict, period: Period) -> dict:
    """The cover's facts: who issues the report, the period, the date the data are as at, and the
    pack's note on its data (``issuer`` and ``data_note`` of programme.yaml; absent when not given)."""
    return {
        "issuer": Markup(bidi_html(isolate(programme["issuer"]))) if programme.get("issuer") else None,
        "period": Markup(bidi_html(f"{isolate(period.label)} ({_day(period.start)} to {_day(period.end)})")),
        "as_at": _day(period.end),
        "data_note": Markup(bidi_html(isolate(programme["data_note"]))) if programme.get("data_note") else None,
    }


def report_resources(pack, period: Period, sections: list[dict], manifest: dict | None = None) -> dict:
    """What the template needs besides the cells for a period report: titles, contents, stylesheet."""
    programme = pack.programme
    versioning = version_resources(manifest)
    changes = [{"title": "Changes since the previous version", "anchor": "changes"}] if versioning["changes"] else []
    name, label = isolate(programme["name"]), isolate(period.label)
    return {
        **versioning,
        "cover": cover_resources(programme, period),
        # read here, with the rest of what the report reads before its key is made: the methodology lists them
        "thresholds": dict(programme["thresholds"]) if "thresholds" in programme else {},
        "lang": LANG,
        "title": plain(f"{name}: progress report for {label}"),
        # Markup (already escaped, names in <bdi>): the template's ``| e`` leaves it as it is.
        "kicker": Markup(bidi_html(f"Audit report · {isolate(programme['sponsor'])}")),
        "heading": Markup(bidi_html(f"{name}: progress report for {label}")),
        "subtitle": "Every figure is computed from the programme's data pack, listed under Provenance.",
        "description": plain(f"Audit report on the {name} programme for {label}"),
        "sections": sections + changes + ([{"title": "Provenance", "anchor": "provenance"}] if manifest else []),
        "provenance": provenance_rows(manifest),
        "css": stylesheet(),
        "footer": Markup(
            bidi_html(
                f"{name} ({programme['programme_id']}), period {label}. "
                "Produced by the audit report pipeline from the data pack listed under Provenance."
            )
        ),
    }


def html_exporter():
    """The configured nbconvert exporter for reports (``exporters.html.ReportHTMLExporter``)."""
    from audit_pipeline.report.exporters.html import ReportHTMLExporter  # nbconvert loads only to render

    return ReportHTMLExporter()


def render_html(pack, period: Period, notebooks: list[Path], manifest: dict | None = None) -> str:
    """The report's HTML from executed section notebooks (and the run's manifest, for provenance)."""
    from audit_pipeline.report.register import collect  # the figure register

    merged, sections = merge_notebooks(notebooks)
    resources = {"report": report_resources(pack, period, sections, manifest), "metadata": {"name": "report"}}
    register = collect.appendix_rows(collect.collect_notebooks(notebooks))
    resources["report"]["register"] = register
    resources["report"]["sections"].insert(len(sections), {"title": "Figure register", "anchor": "figure-register"})
    appendices = form_appendices(resources["report"]["sections"], len(sections))
    body, _ = html_exporter().from_notebook_node(merged, resources=resources)
    body = chart_tables.with_appendix(body)  # every chart's data table again, for print
    body = apply_form(pack, body, collect.collect_notebooks(notebooks), appendices, resources["report"]["thresholds"])
    return body.replace(collect.APPENDIX_PLACE, collect.appendix_html(register), 1) if register else body


# -- the NAO's report form (issue 10, item 9): appendices, numbered paragraphs and figures -------------

FORM_APPENDICES = (("methodology", "Methodology"), ("glossary", "Glossary"))
APPENDIX_IDS = ("changes", "figure-register", "provenance")


def form_appendices(contents: list[dict], parts: int) -> list[str]:
    """Put the methodology and glossary appendices in the contents, after the parts; their anchors."""
    for offset, (anchor, title) in enumerate(FORM_APPENDICES):
        contents.insert(parts + offset, {"title": title, "anchor": anchor})
    return [anchor for anchor, _ in FORM_APPENDICES]


def apply_form(pack, body: str, entries: list[dict], appendices: list[str], thresholds: dict) -> str:
    """The page with its paragraphs and figures numbered (``form.number_report``) and the methodology
    and glossary appendices before the other appendices (or at the end of ``<main>``)."""
    from audit_pipeline.report import form, glossary, methodology

    body, _ = form.number_report(body)
    labels = [str(x) for x in pack.tables["periods"]["label"]]
    main = body[body.find("<main") : body.rfind("</main>")]
    pieces = {
        "methodology": methodology.methodology_html(entries, thresholds, labels),
        "glossary": glossary.glossary_html(_text(main) + " " + _text(body[: body.find("<main")])),
    }
    html = "".join(pieces[a] for a in appendices)
    import re

    first = re.search(rf"<section\b[^>]*\bid=\"(?:{'|'.join(APPENDIX_IDS)})\"", body)
    place = first.start() if first else body.rfind("</main>")
    return body[:place] + html + body[place:]


def _text(html: str) -> str:
    """Rough visible text of some HTML (tags and style dropped): what the glossary looks for abbreviations in."""
    import re

    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    alts = re.findall(r'\b(?:alt|aria-label)="([^"]*)"', html)
    return re.sub(r"<[^>]+>", " ", html) + " " + " ".join(alts)


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
