"""The auditor's commentary in the report: Markdown rendered as text, with live figures.

``commentary(ctx, heading)`` shows the period's ``### <heading>`` part of commentary.md
(``pack.commentary``) under that section; ``conclusion(ctx)`` shows ``### Conclusion`` in the
summary, or says that no conclusion has been recorded. Markdown is rendered by markdown-it-py
with raw HTML off (markup is shown as text), images off, links only to ``https:`` addresses,
and headings kept below the section's own. A reference ``{{costs.total_to_date}}`` becomes the
figure's display text, registered (``resolve``) and linked to its entry in the figure register.
"""

from __future__ import annotations

import html

from IPython.display import HTML

from audit_pipeline.pack.commentary import REFERENCE
from audit_pipeline.pack.contract import COMMENTARY_CONCLUSION
from audit_pipeline.report import fmt, narrative
from audit_pipeline.report.register import anchor, section
from audit_pipeline.report.register import catalogue as K
from audit_pipeline.report.register.core import shown_text

PLACEHOLDER = "\ue003{}\ue003"  # stands for a reference while the Markdown is rendered (never in a pack)
UNAVAILABLE = "(no such figure for this period)"
_BY_ID = {spec[0]: path for path, spec in K.KEYS.items()}


def _markdown():
    """markdown-it-py configured for data text: no HTML, no images, https links only, no typographer."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = lambda url: url.strip().lower().startswith("https:")
    return md


def _estimate_row(ctx, figure_id: str):
    from audit_pipeline.measures import finance

    _, measure, scope, _bound = figure_id.split(".", 3)
    now = finance.estimates_in_force(ctx.tables["estimates"], ctx.period.end)
    match = now[(now["measure"] == measure) & (now["scope"].map(K._slug) == scope)]
    return None if match.empty else match.iloc[0]


def resolve(ctx, figure_id: str) -> tuple[str, str] | None:
    """Register figure ``figure_id`` of the period (if it is not already) and return ``(id, display)``.

    ``None`` when the id names no figure of this period (a centre without transactions, an
    estimate not yet in force, ...): validation has already refused ids no period can have.
    """
    reg, figures = ctx.register, ctx.figures
    if figure_id in _BY_ID:
        K.key(reg, figures, _BY_ID[figure_id])
    elif figure_id == "costs.total_to_date":
        c = figures["costs"]
        K.total_costs(reg, figures, fmt.money(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"]))
    elif figure_id.startswith("onboarding.som_"):
        if figure_id.removeprefix("onboarding.") not in figures["onboarding"]:
            return None
        K.som(reg, figures, figure_id.removeprefix("onboarding.som_"))
    elif figure_id.startswith("recommendations."):
        narrative.recommendation_counts(reg, figures)
    elif figure_id.startswith("service."):
        _, centre, name = figure_id.split(".", 2)
        if figures["service"].get(centre, {}).get(name) is None:
            return None
        K.service(reg, figures, centre, name)
    elif figure_id.startswith("thresholds."):
        if figure_id.removeprefix("thresholds.") not in ctx.thresholds:
            return None
        K.threshold(reg, figure_id.removeprefix("thresholds."))
    elif figure_id.startswith("estimates."):
        row = _estimate_row(ctx, figure_id)
        if row is None:
            return None
        K.estimate(reg, row, figure_id.rsplit(".", 1)[1])
    entry = reg.entries.get(figure_id)
    if entry is None:
        return None
    reg.again(figure_id)
    return figure_id, shown_text(entry)


def render(ctx, text: str) -> str:
    """Commentary Markdown as safe HTML, each ``{{id}}`` the linked display of a registered figure."""
    links = []

    def swap(match) -> str:
        links.append(resolve(ctx, match.group(1)))
        return PLACEHOLDER.format(len(links) - 1)

    md = _markdown()
    tokens = md.parse(REFERENCE.sub(swap, text))
    for token in tokens:  # the section's heading is h2 and the commentary's own h3: keep text headings below
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(4, int(token.tag[1]) + 2)}" if int(token.tag[1]) + 2 <= 6 else "h6"
    out = md.renderer.render(tokens, md.options, {})
    for index, link in enumerate(links):
        if link is None:
            shown = f'<span class="figure-missing">{html.escape(UNAVAILABLE)}</span>'
        else:
            shown = f'<a class="figure-ref" href="#{anchor(link[0])}">{html.escape(link[1])}</a>'
        out = out.replace(PLACEHOLDER.format(index), shown)
    return out


def _part(ctx, heading: str):
    return (getattr(ctx.pack, "commentary", None) or {}).get(ctx.period.period_id, {}).get(heading)


@section
def commentary(ctx, heading: str) -> HTML | None:
    """The auditor's commentary for the section headed ``heading`` (nothing when there is none)."""
    part = _part(ctx, heading)
    if part is None:
        return None
    return HTML(
        f'<div class="commentary"><h3>Auditor\u2019s commentary</h3><div class="commentary-text">'
        f"{render(ctx, part.text)}</div></div>"
    )


@section
def conclusion(ctx) -> HTML:
    """The auditor's conclusion for the period, or a sentence saying that none has been recorded."""
    part = _part(ctx, COMMENTARY_CONCLUSION)
    if part is None:
        return HTML('<p class="no-conclusion">No conclusion has been recorded for this period.</p>')
    return HTML(f'<div class="conclusion commentary-text">{render(ctx, part.text)}</div>')
