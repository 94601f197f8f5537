"""``ReportHTMLExporter``: nbconvert's HTML exporter with the report template (see ``page``)."""

from __future__ import annotations

from nbconvert.exporters import HTMLExporter
from traitlets import default

from audit_pipeline.report.exporters.page import TEMPLATE_OPTIONS, notebook_resources


class ReportHTMLExporter(HTMLExporter):
    """HTML as reviewers read it: the ``report`` template, no code or prompts, self-contained."""

    export_from_notebook = "Audit report (HTML)"

    @default("template_name")
    def _template_name_default(self):
        return TEMPLATE_OPTIONS["template_name"]

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return list(TEMPLATE_OPTIONS["extra_template_basedirs"])

    @default("exclude_input")
    def _exclude_input_default(self):
        return TEMPLATE_OPTIONS["exclude_input"]

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return TEMPLATE_OPTIONS["exclude_input_prompt"]

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return TEMPLATE_OPTIONS["exclude_output_prompt"]

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self):
        return TEMPLATE_OPTIONS["exclude_anchor_links"]

    def from_notebook_node(self, nb, resources=None, **kw):
        """Convert; a notebook converted on its own gets a title and the stylesheet (``notebook_resources``),
        and its figures numbered (``form.number_report``; a whole report is numbered by ``render``)."""
        resources = dict(resources or {})
        if "report" in resources:
            return super().from_notebook_node(nb, resources=resources, **kw)
        from audit_pipeline.report.form import number_report

        name = (resources.get("metadata") or {}).get("name", "")
        resources["report"] = notebook_resources(nb, name)
        body, resources = super().from_notebook_node(nb, resources=resources, **kw)
        return number_report(body)[0], resources
