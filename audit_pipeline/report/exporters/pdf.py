"""``ReportPDFExporter``: the report's HTML as a tagged A4 PDF (PDF/UA-1, bookmarks), through WeasyPrint."""

from __future__ import annotations

from pathlib import Path

from traitlets import default

from audit_pipeline.report.exporters.html import ReportHTMLExporter
from audit_pipeline.report.exporters.page import pdf_bytes


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
        pdf = pdf_bytes(html, Path(path) if path else None)
        resources["output_extension"] = ".pdf"
        return pdf, resources
