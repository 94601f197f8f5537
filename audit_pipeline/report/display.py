"""Accessible HTML pieces for notebook outputs: captioned tables, figures with text alternatives.

Everything from a data pack is escaped here (``esc``, ``data``, ``attr``): free text is data,
never markup. Its bidirectional controls are isolated too, so that a right-to-left override in
a name cannot reorder the text around it: every table cell, list item and headline is a
``<bdi>``, and a name inserted in a sentence (``fmt.isolate``) becomes a ``<bdi>`` of its own.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Iterable

import pandas as pd
from IPython.display import HTML

from audit_pipeline.report import bidi, fmt, published
from audit_pipeline.report.form import source_html
from audit_pipeline.report.register import linkify, plain

Formatter = Callable[[object], str]
# Table layout hints, in characters, so that tables fit an A4 page (see _column_kinds).
NOWRAP_MAX = 18  # a column whose values are all this short may be kept on one line ("30 September 2014")
PROSE_MIN = 60  # a column with a value longer than this holds sentences and gets the most width
PROSE_CHARS = 40  # the width a column of sentences needs to read well
LINE_CHARS = 130  # about what one line of an A4 table holds at print size
# A table up to this many printed lines is kept on one page (class "keep"): under half an A4 page, so
# that a table moved whole to the next page never leaves more than half a page blank (test_pages.py).
KEEP_LINES = 20
LONG_WORD = 30  # a cell with a word longer than this may break it anywhere (class "long-word")


def esc(text: object) -> str:
    """Text as HTML: escaped, its bidi controls balanced (``fmt.balanced``), its isolates ``<bdi>``."""
    return bidi.html(text)


def data(text: object) -> str:
    """Data text as HTML, isolated in a ``<bdi>`` of its own (a table cell, a list item)."""
    return f"<bdi>{esc(text)}</bdi>"


def attr(text: object) -> str:
    """Text for an attribute value (an ``alt``): escaped with quotes, bidi controls balanced (``bidi.plain``)."""
    return html.escape(bidi.plain(text), quote=True)


def _cell(value: object, formatter: Formatter | None) -> str:
    if formatter is not None:
        return formatter(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return fmt.date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return fmt.number(value)
    return str(value)


def _class_attr(classes: list[str]) -> str:
    return f' class="{" ".join(classes)}"' if classes else ""


def _cell_classes(text: str, numeric: bool, column: str) -> list[str]:
    """Layout hints for a cell, so tables fit an A4 page: numbers right-aligned; a column of short
    values (dates, statuses, ids) kept on one line; a column of sentences given the most room;
    long unbroken codes (hashes) allowed to break anywhere."""
    classes = ["num"] if numeric else []
    if len(text) > NOWRAP_MAX and " " not in text:
        classes.append("token")
    elif _long_word(text):
        classes.append("long-word")
    elif column and not numeric:
        classes.append(column)
    return classes


def _head_classes(label: str, numeric: bool, kind: str) -> list[str]:
    """Layout hints for a header cell: numbers right-aligned, sentences given room, long words broken."""
    classes = ["num"] if numeric else ["prose"] if kind == "prose" else []
    return classes + (["long-word"] if _long_word(label) else [])


def _long_word(text: str) -> bool:
    """Whether ``text`` holds a word too long for a column (so the cell may break it anywhere)."""
    return any(len(word) > LONG_WORD for word in text.split())


def _column_kinds(texts: dict[str, list[str]], labels: dict[str, str]) -> dict[str, str]:
    """Per column: ``prose`` when any value is a sentence; ``nowrap`` for columns of short values
    (dates, statuses, ids) while the table's narrowest width still fits a line; else ``""``."""
    longest_word = {
        name: max((len(word) for text in [*values, labels[name]] for word in text.split()), default=0)
        for name, values in texts.items()
    }
    kinds = {name: "prose" if any(len(v) > PROSE_MIN for v in values) else "" for name, values in texts.items()}
    width = sum(PROSE_CHARS if kinds[n] == "prose" else longest_word[n] for n in texts) + 2 * len(texts)
    short = [n for n, values in texts.items() if kinds[n] != "prose" and all(len(v) <= NOWRAP_MAX for v in values)]
    extra = {n: max((len(v) for v in texts[n]), default=0) - longest_word[n] for n in short}
    for name in sorted(short, key=lambda n: extra[n]):
        if width + max(extra[name], 0) <= LINE_CHARS:
            kinds[name] = "nowrap"
            width += max(extra[name], 0)
    return kinds


def _printed_lines(texts: dict[str, list[str]], kinds: dict[str, str]) -> int:
    """Roughly how many printed lines a table's body takes (a row is as tall as its longest sentence)."""
    rows = zip(*texts.values(), strict=True) if texts else []
    prose = [kinds[name] == "prose" for name in texts]
    return sum(max([1] + [-(-len(v) // PROSE_CHARS) for v, p in zip(row, prose, strict=True) if p]) for row in rows)


def table_html(
    frame: pd.DataFrame,
    caption: str,
    columns: dict[str, str],
    formats: dict[str, Formatter] | None = None,
    numeric: Iterable[str] = (),
    row_header: bool = True,
    empty: str = "None recorded up to this period.",
    source: str = "",
    notes: str = "",
    figure_key: str = "",
    sources: str | None = None,
) -> str:
    """An HTML table with a caption, ``th`` header cells (``scope``) and escaped cells.

    ``columns`` maps frame columns to headers, in display order. The first
    column is a row header when ``row_header``. ``numeric`` columns are right-aligned.
    A table with no rows holds the sentence ``empty`` in one cell under its headers.
    ``source`` and ``notes`` are the Source and Notes lines under it (``form.source_html``); a
    table without a source gets a default one at render time (``form.complete_sources``).
    ``figure_key`` names it for cross-references in the text (``form.see``).
    ``sources`` names the column holding the pack's ``source`` of each row: a row citing a published
    report is marked as a published fact there, and a key under the table says what the mark means.
    """
    formats, numeric = formats or {}, set(numeric)
    texts = {name: [plain(_cell(value, formats.get(name))) for value in frame[name].tolist()] for name in columns}
    kind = _column_kinds(texts, columns)
    head = "".join(
        f'<th scope="col"{_class_attr(_head_classes(label, name in numeric, kind[name]))}>{esc(label)}</th>'
        for name, label in columns.items()
    )
    body, marks = [], 0
    for position in range(len(frame)):
        cells = []
        for index, name in enumerate(columns):
            raw = texts[name][position]
            css = _class_attr(_cell_classes(raw, name in numeric, kind[name]))
            tag = "th" if index == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            mark = name == sources and published.is_published(raw)
            marks += mark
            shown = (f'<strong class="published-mark">{published.MARK}:</strong> ' if mark else "") + data(raw)
            cells.append(f"<{tag}{scope}{css}>{shown if raw else ''}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">{esc(empty)}</td></tr>')
    keep = " keep" if _printed_lines(texts, kind) <= KEEP_LINES else ""
    key = f'<p class="table-key">Key: {esc(published.KEY)}</p>' if marks else ""
    return (
        (
            f'<table class="report-table{keep}"><caption>{linkify(esc(caption))}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
        + source_html(source, notes, figure_key)
        + key
    )


def table(frame: pd.DataFrame, caption: str, columns: dict[str, str], **kwargs) -> HTML:
    """``table_html`` as a notebook output."""
    return HTML(table_html(frame, caption, columns, **kwargs))


SVG_SALT = "audit-pipeline"  # matplotlib's SVG ids are hashes salted with this: the same chart, the same ids


def svg_bytes(figure) -> bytes:
    """A figure as SVG bytes (vector, for screen and print), byte-identical on a rerun: fixed ids
    (``svg.hashsalt``), no date or software metadata, and text drawn as paths (``svg.fonttype``), so
    that the chart looks the same wherever it is shown and its numbers are read from the alt text
    and the data table, never picked out of the drawing."""
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path", "svg.id": None}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    return buffer.getvalue()


def chart_data_html(table: dict | None, caption: str, appendix: bool = True) -> str:
    """A chart's data table (``register.charts.data_table``) in a closed ``<details>``: "Data for this
    chart". In a report's print the table goes to the "Chart data" appendix (``chart_tables.with_appendix``)
    and a line under the chart points there (``appendix``; the index has no appendix)."""
    if not table:
        return ""
    frame = pd.DataFrame(table["rows"], columns=list(table["columns"]))
    cells = table_html(frame, f"Data for the chart: {caption}", table["columns"], numeric=table["numeric"])
    reference = (
        '<p class="chart-data-ref">The data for this chart are tabled in the appendix '
        '<a href="#chart-data">Chart data</a>.</p>'
    )
    return f'<details class="chart-data"><summary>Data for this chart</summary>{cells}</details>' + (
        reference if appendix else ""
    )


def figure_html(
    figure, alt: str, caption: str, note: str = "", table: dict | None = None, source: str = "", notes: str = ""
) -> str:
    """A ``figure`` element: the chart inline as SVG with its text alternative, a caption and a note;
    its Source and Notes lines (``form.source_html``); then the chart's data table (``chart_data_html``)
    when it has one."""
    payload = base64.b64encode(svg_bytes(figure)).decode("ascii")
    note_html = f'<br><span class="chart-note">Note: {linkify(esc(note))}</span>' if note else ""
    return (
        (
            f'<figure class="chart"><img src="data:image/svg+xml;base64,{payload}" alt="{attr(plain(alt))}">'
            f"<figcaption>{linkify(esc(caption))}{note_html}</figcaption></figure>"
        )
        + source_html(source, notes)
        + chart_data_html(table, plain(caption))
    )


def figure(chart: tuple, caption: str, note: str = "", source: str = "", notes: str = "") -> HTML:
    """Show a chart made by ``charts`` (a ``Chart``: figure, alt text and data table) with its caption
    and a note (what the chart does not draw: returns not collated, totals that are at least what is drawn),
    then its Source and Notes lines (``source``, ``notes``; a default source at render time)."""
    fig, alt = chart
    return HTML(figure_html(fig, alt, caption, note, getattr(chart, "table", None), source, notes))


def paragraphs(sentences: Iterable[str], css: str = "") -> HTML:
    """Plain sentences as paragraphs (escaped)."""
    klass = f' class="{css}"' if css else ""
    return HTML("".join(f"<p{klass}>{linkify(esc(s))}</p>" for s in sentences))


def bullets(items: Iterable[str], empty: str = "None.") -> HTML:
    """An escaped bulleted list, or a sentence when there is nothing to list."""
    items = list(items)
    if not items:
        return HTML(f"<p>{esc(empty)}</p>")
    return HTML("<ul>" + "".join(f"<li>{linkify(data(i))}</li>" for i in items) + "</ul>")


def headline_html(items: list[tuple[str, str, str]]) -> str:
    """Headline figures as a list, one item per tile: what, the figure, its comparison point.

    A list rather than ``<dl>`` groups: the PDF tags a ``<dl>`` as a list whose every term and
    definition is an item of its own, each group a ``Div`` between list and items."""
    parts = []
    for label, value, comparison in items:
        parts.append(
            f'<li class="headline"><p class="label">{esc(label)}</p><p class="figure">{linkify(data(value))}</p>'
            f'<p class="comparison">{linkify(data(comparison))}</p></li>'
        )
    return '<ul class="headlines">' + "".join(parts) + "</ul>"
