"""nbconvert exporters for the report; they own the nbconvert template configuration.

- ``page``: the template (``templates/report``, which extends ``lab`` through
  ``extra_template_basedirs``), its options, the stylesheet, the language, the titles of a
  notebook converted on its own, and printing HTML to a tagged PDF. Light: no nbconvert.
- ``html``: ``ReportHTMLExporter``, HTML as reviewers read it: outputs and narrative only,
  no code, no prompts, no scripts, nothing fetched from a network.
- ``pdf``: ``ReportPDFExporter``, the same HTML as a tagged A4 PDF (PDF/UA-1) through WeasyPrint.

``report.render`` builds whole reports through these classes; nothing here imports ``render``.
For one executed notebook::

    .venv/bin/jupyter nbconvert --to audit_pipeline.report.exporters.ReportHTMLExporter notebook.ipynb
    .venv/bin/jupyter nbconvert --to audit_pipeline.report.exporters.ReportPDFExporter notebook.ipynb

or, where the package is installed with its entry points, ``--to audit_html`` / ``--to audit_pdf``.
The two classes are imported on first use (PEP 562), so that reading the template
configuration does not load nbconvert.
"""

from __future__ import annotations

_CLASSES = {
    "ReportHTMLExporter": "audit_pipeline.report.exporters.html",
    "ReportPDFExporter": "audit_pipeline.report.exporters.pdf",
}

__all__ = sorted(_CLASSES)


def __getattr__(name: str):
    """``ReportHTMLExporter`` and ``ReportPDFExporter``, imported when first asked for."""
    if name not in _CLASSES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_CLASSES[name]), name)
