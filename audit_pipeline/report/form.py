"""The NAO's report form, applied once over the merged report at render time (issue 10, item 9).

- **Source and Notes lines.** ``source_html`` is the line a section asks for through
  ``display.table(..., source=, notes=)`` / ``display.figure``. Every other table and chart
  of a section's output gets a default line at render time (``complete_sources``): the pack
  tables its figures were computed from and the section call read (``register.core.section``
  records them; else those its notebook declares), and the ``source`` column values of the
  rows its figures used.
- **Numbers.** ``number_report`` numbers the narrative paragraphs of each part (``1.1``,
  ``1.2``, ... within part 1) and every table and chart of the report in order (``Figure 4:``),
  in one pass over the rendered page, so that the numbering is right by construction, whatever
  each section shows. The numbers are marked (``FORM_NUMBER_CLASSES``) so that the check that
  every number a reader sees is a registered figure knows them for what they are. A sentence
  may refer to a figure by key (``see``): it reads "Figure N" once the figures are numbered.

Light on purpose: regular expressions over the HTML nbconvert wrote (no second parse of the page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audit_pipeline.report.bidi import html as bidi_html
from audit_pipeline.report.register import linkify

FIGURE_NUMBER = "figure-number"  # "Figure 4:" before a table's or chart's caption
PARAGRAPH_NUMBER = "paragraph-number"  # "2.3" before a narrative paragraph
FORM_NUMBER_CLASSES = (FIGURE_NUMBER, PARAGRAPH_NUMBER)
SOURCE = "figure-source"
NOTES = "figure-notes"
# Paragraphs that are not narrative: the lines under a figure, notebook text output.
UNNUMBERED = {SOURCE, NOTES, "text-output", "chart-note", "no-number"}
# Blocks whose paragraphs are narrative too (the auditor's conclusion and commentary, report.commentary).
NARRATIVE_BLOCKS = {"commentary-text"}
# Pack tables that a figure is not "from" (labels, parameters): named only when nothing else is.
FRAME_TABLES = ("periods", "programme", "commentary")
# Sources of the tables the report template writes itself (appendices), by section id.
TEMPLATE_SOURCES = {
    "provenance": "the run's manifest (manifest.json beside this report).",
    "changes": "metrics.json and manifest.json of this version and of the version it replaces.",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>\"']+|\"[^\"]*\"|'[^']*')*)>|<!--.*?-->", re.S)
_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SOURCE_NEXT = re.compile(rf'\s*<p class="{SOURCE}"')
_ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""")


# A cross-reference in the text to a figure given a key (``see``): resolved to "Figure N" by ``number_report``.
XOPEN, XMID, XCLOSE = "\ue010", "\ue011", "\ue012"  # private-use characters, as the register's marks
_XREF = re.compile(f"{XOPEN}([^{XMID}]*){XMID}([^{XCLOSE}]*){XCLOSE}")
_KEY = re.compile(r'\s*<p class="figure-source" data-figure="([^"]*)"')


def see(key: str, fallback: str) -> str:
    """A reference to the figure whose Source line carries ``key`` (``display.table(..., figure_key=)``):
    "Figure N" in the rendered report, ``fallback`` ("the table below") where there is no such figure."""
    return f"{XOPEN}{key}{XMID}{fallback}{XCLOSE}"


def source_html(source: str = "", notes: str = "", key: str = "") -> str:
    """The Source line (and the Notes line, when there are notes) under a table or chart; ``key`` names
    the figure for cross-references (``see``)."""
    lines = []
    if source:
        data = f' data-figure="{bidi_html(key)}"' if key else ""
        lines.append(f'<p class="{SOURCE}"{data}>Source: {linkify(bidi_html(source))}</p>')
    if notes:
        lines.append(f'<p class="{NOTES}">Notes: {linkify(bidi_html(notes))}</p>')
    return "".join(lines)


def _classes(attrs: str) -> set[str]:
    found = _CLASS.search(attrs)
    return set((found.group(1) or found.group(2) or "").split()) if found else set()


def _id(attrs: str) -> str:
    found = _ID.search(attrs)
    return (found.group(1) or found.group(2) or "") if found else ""


def _is_figure(tag: str, classes: set[str]) -> bool:
    return (tag == "table" and "report-table" in classes) or (tag == "figure" and "chart" in classes)


@dataclass
class _Element:
    tag: str
    classes: set[str]
    ident: str = ""
    figure: int | None = None  # the figure number of a numbered table or chart
    captioned: bool = False


@dataclass
class Scan:
    """What one pass over some HTML found: insertions to make, and the numbers given."""

    inserts: list[tuple[int, str]] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)

    def apply(self, text: str) -> str:
        pieces, last = [], 0
        for offset, piece in sorted(self.inserts, key=lambda x: x[0]):
            pieces += [text[last:offset], piece]
            last = offset
        return "".join(pieces) + text[last:]


def _walk(text: str, on_start, on_end) -> None:
    """Call ``on_start(element, stack, end_offset)`` and ``on_end(element, stack, end_offset)`` for
    each element of ``text`` (``stack``: its open ancestors). Raw text of script and style is skipped."""
    stack: list[_Element] = []
    position = 0
    while True:
        match = _TAG.search(text, position)
        if match is None:
            return
        position = match.end()
        if match.group(2) is None:  # a comment
            continue
        closing, tag, attrs = match.group(1), match.group(2).lower(), match.group(3) or ""
        if closing:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth].tag == tag:
                    element = stack[depth]
                    del stack[depth:]
                    on_end(element, stack, match.end())
                    break
            continue
        element = _Element(tag, _classes(attrs), _id(attrs))
        on_start(element, stack, match.end())
        if tag in ("script", "style"):
            close = text.lower().find(f"</{tag}", position)
            position = len(text) if close < 0 else close
        if tag in VOID or attrs.rstrip().endswith("/"):
            continue
        stack.append(element)


def _nested(stack: list[_Element]) -> bool:
    """Inside another figure, table, details or list: part of something else, never a figure of its own."""
    return any(e.tag in ("figure", "table", "details", "dl", "ul", "ol") for e in stack)


def _narrative(element: _Element, stack: list[_Element]) -> bool:
    """A narrative paragraph: directly in a part's section, or in a narrative block there."""
    if element.classes & UNNUMBERED or not stack:
        return False
    parent = stack[-1]
    return parent.tag == "section" or (
        parent.tag == "div" and bool(parent.classes & NARRATIVE_BLOCKS) and not _nested(stack)
    )


def figure_ends(text: str) -> list[tuple[int, bool]]:
    """For each table or chart of ``text`` (not nested in another), where it ends and whether a
    Source line follows it."""
    found: list[tuple[int, bool]] = []

    def start(element, stack, end):
        element.figure = 0 if _is_figure(element.tag, element.classes) and not _nested(stack) else None

    def finish(element, stack, end):
        if element.figure is not None:
            found.append((end, _SOURCE_NEXT.match(text, end) is not None))

    _walk(text, start, finish)
    return found


def default_source(entries: list[dict], tables: list[str]) -> str:
    """A default Source line's text: the pack tables read (those the figures were computed from, then
    any other the output read, ``tables``) and the ``source`` values of the rows the figures used."""
    named, cited = [], []
    for entry in entries:
        for item in entry.get("inputs") or []:
            if item.get("table") and item["table"] not in named:
                named.append(item["table"])
            cited += [s for s in item.get("sources") or [] if s not in cited]
    named += [t for t in tables if t not in named and ":" not in t and t != "files"]
    shown = [t for t in named if t not in FRAME_TABLES] or named
    text = "the programme's data pack" + (
        f", {'table' if len(shown) == 1 else 'tables'} {', '.join(shown)}" if shown else ""
    )
    if cited:
        text += "; its rows cite: " + "; ".join(sorted(cited))
    return text + "."


def add_default_sources(html: str, entries: list[dict], tables: list[str]) -> str:
    """``html`` (one section output) with a default Source line after each table or chart without one."""
    ends = [end for end, has in figure_ends(html) if not has]
    if not ends:
        return html
    line = source_html(default_source(entries, tables))
    return Scan(inserts=[(end, line) for end in ends]).apply(html)


def number_report(html: str) -> tuple[str, Scan]:
    """Number the paragraphs of each part and every table and chart, in one pass over the page.

    Parts are the sections whose id starts ``section-`` (the section notebooks), numbered from 1;
    a narrative paragraph is a ``<p>`` directly in such a section. A table or chart is numbered
    wherever it is (appendices too), its number put before its caption; one without a Source line
    after it (a table the report template writes) gets its section's (``TEMPLATE_SOURCES``).
    """
    scan = Scan()
    state = {"part": 0, "paragraph": 0, "figure": 0, "section": ""}
    keys: dict[str, int] = {}

    def start(element, stack, end):
        if element.tag == "section" and "report-section" in element.classes:
            state["section"] = element.ident
            if element.ident.startswith("section-"):
                state["part"] += 1
                state["paragraph"] = 0
            return
        in_part = state["section"].startswith("section-")
        if element.tag == "p" and in_part and _narrative(element, stack):
            state["paragraph"] += 1
            number = f"{state['part']}.{state['paragraph']}"
            scan.paragraphs.append(number)
            scan.inserts.append((end, f'<span class="{PARAGRAPH_NUMBER}">{number}</span> '))
        elif _is_figure(element.tag, element.classes) and not _nested(stack):
            state["figure"] += 1
            element.figure = state["figure"]
        elif element.tag in ("caption", "figcaption"):
            owner = next((e for e in reversed(stack) if e.figure is not None), None)
            if owner is not None and not owner.captioned and stack[-1] is owner:
                owner.captioned = True
                scan.inserts.append((end, f'<span class="{FIGURE_NUMBER}">Figure {owner.figure}:</span> '))
                scan.figures.append({"number": owner.figure, "section": state["section"]})

    def finish(element, stack, end):
        if element.figure is None:
            return
        keyed = _KEY.match(body, end)
        if keyed:
            keys[keyed.group(1)] = element.figure
        if _SOURCE_NEXT.match(body, end) is None:
            text = TEMPLATE_SOURCES.get(state["section"], "the programme's data pack.")
            scan.inserts.append((end, source_html(text)))

    main_start = html.find("<main")
    main_end = html.rfind("</main>")
    if main_start < 0 or main_end < 0:
        return html, scan
    body = html[main_start:main_end]
    _walk(body, start, finish)
    body = _XREF.sub(
        lambda m: (
            f'<span class="{FIGURE_NUMBER}">Figure {keys[m.group(1)]}</span>' if m.group(1) in keys else m.group(2)
        ),
        scan.apply(body),
    )
    return html[:main_start] + body + html[main_end:], scan


def complete_sources(cell, tables: list[str]) -> None:
    """Give every table and chart in a code cell's HTML outputs a Source line (``add_default_sources``),
    from the register entries the output carries and the pack tables its notebook reads."""
    from audit_pipeline.report.register.collect import output_entries, output_reads

    if cell.get("cell_type") != "code":
        return
    for output in cell.get("outputs", []):
        data = output.get("data") or {}
        if "text/html" not in data:
            continue
        text = data["text/html"]
        text = "".join(text) if isinstance(text, list) else text
        completed = add_default_sources(text, output_entries(output), output_reads(output) or tables)
        if completed != text:
            data["text/html"] = completed
