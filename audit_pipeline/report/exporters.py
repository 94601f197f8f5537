"""nbconvert exporters for analysts: a section notebook as the reviewers' HTML or tagged PDF.

The pipeline renders whole reports through these same classes (``render.html_exporter``).
For one executed notebook::

    .venv/bin/jupyter nbconvert --to audit_pipeline.report.exporters.ReportHTMLExporter notebook.ipynb
    .venv/bin/jupyter nbconvert --to audit_pipeline.report.exporters.ReportPDFExporter notebook.ipynb

or, where the package is installed with its entry points, ``--to audit_html`` / ``--to audit_pdf``.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import default

from audit_pipeline.report import render


class ReportHTMLExporter(HTMLExporter):
    """HTML as reviewers read it: the ``report`` template, no code or prompts, self-contained."""

    export_from_notebook = "Audit report (HTML)"

    @default("template_name")
    def _template_name_default(self):
        return render.TEMPLATE_OPTIONS["template_name"]

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return list(render.TEMPLATE_OPTIONS["extra_template_basedirs"])

    @default("exclude_input")
    def _exclude_input_default(self):
        return render.TEMPLATE_OPTIONS["exclude_input"]

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return render.TEMPLATE_OPTIONS["exclude_input_prompt"]

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return render.TEMPLATE_OPTIONS["exclude_output_prompt"]

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self):
        return render.TEMPLATE_OPTIONS["exclude_anchor_links"]

    def from_notebook_node(self, nb, resources=None, **kw):
        """Convert; a notebook converted on its own gets a title and stylesheet from ``render``."""
        resources = dict(resources or {})
        if "report" not in resources:
            name = (resources.get("metadata") or {}).get("name", "")
            resources["report"] = render.notebook_resources(nb, name)
        return super().from_notebook_node(nb, resources=resources, **kw)


class ReportPDFExporter(ReportHTMLExporter):
    """The same HTML as a tagged A4 PDF (PDF/UA-1, bookmarks), through WeasyPrint."""

    export_from_notebook = "Audit report (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"

    def from_notebook_node(self, nb, resources=None, **kw):
        """Convert to HTML, then to PDF bytes (images are inline, so no base URL is needed)."""
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        path = (resources.get("metadata") or {}).get("path") or None
        pdf = render.pdf_bytes(html, Path(path) if path else None)
        resources["output_extension"] = ".pdf"
        return pdf, resources
