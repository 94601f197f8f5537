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
        """Convert; a notebook converted on its own gets a title and the stylesheet (``notebook_resources``)."""
        resources = dict(resources or {})
        if "report" not in resources:
            name = (resources.get("metadata") or {}).get("name", "")
            resources["report"] = notebook_resources(nb, name)
        return super().from_notebook_node(nb, resources=resources, **kw)
