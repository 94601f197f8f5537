"""One register per period, read back from the executed section notebooks' output metadata.

Each section function's output carries the entries it showed (``core.section``); here they are
merged in notebook order: an id seen again keeps its first entry and gains any new display form,
and the same id with another value is an error (two parts of a report may not disagree).
"""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import escape

from audit_pipeline.report.register.core import METADATA_KEY, READS_KEY, anchor, shown_text

# The last register collected, by the notebooks' paths, sizes and times: a period's figures.json,
# figures.xlsx and appendix read its executed notebooks once, not once each.
_LAST: dict = {}


class RegisterConflict(ValueError):
    """The same figure id was shown with two different values."""


def output_entries(output) -> list[dict]:
    """The register entries one notebook output carries (``core.section``)."""
    metadata = output.get("metadata") or {}
    entries = metadata.get(METADATA_KEY)
    if entries is None:  # IPython nests a repr's metadata under its mime type
        entries = (metadata.get("text/html") or {}).get(METADATA_KEY)
    return list(entries or [])


def output_reads(output) -> list[str]:
    """The pack tables one notebook output read (``core.section``)."""
    metadata = output.get("metadata") or {}
    names = metadata.get(READS_KEY)
    if names is None:
        names = (metadata.get("text/html") or {}).get(READS_KEY)
    return list(names or [])


def notebook_entries(nb) -> list[dict]:
    """Every register entry in a notebook's outputs, in order (repeats included)."""
    found = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            found += output_entries(output)
    return found


def merge(entries: list[dict]) -> list[dict]:
    """Entries merged by id (first wins; displays united; a different value raises ``RegisterConflict``)."""
    merged: dict[str, dict] = {}
    for entry in entries:
        seen = merged.get(entry["id"])
        if seen is None:
            merged[entry["id"]] = {**entry, "displays": list(entry.get("displays") or [entry["display"]])}
            continue
        if seen["value"] != entry["value"]:
            raise RegisterConflict(
                f"figure {entry['id']} is shown as {seen['value']!r} and as {entry['value']!r} in the same report"
            )
        for text in entry.get("displays") or [entry["display"]]:
            if text not in seen["displays"]:
                seen["displays"].append(text)
    return list(merged.values())


def collect_notebooks(paths: list[Path]) -> list[dict]:
    """The period's register from its executed notebooks (in file-name order).

    The notebooks are read as JSON (only their outputs' metadata is needed, so no nbformat
    validation), and the result is kept for the same files, unchanged, in this process.
    """
    paths = sorted(Path(p) for p in paths)
    key = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    merged = _LAST.get(key)
    if merged is None:
        entries = []
        for path in paths:
            entries += notebook_entries(json.loads(path.read_text(encoding="utf-8")))
        merged = merge(entries)
        _LAST.clear()  # one period kept: periods may be rendered side by side, each finds its own or reads again
        _LAST[key] = merged
    return [{**entry, "displays": list(entry["displays"])} for entry in merged]


def inputs_text(entry: dict) -> str:
    """An entry's inputs in words: ``costs.csv lines 2, 5-7 (cost_type ..., 3 rows)``."""
    parts = []
    for item in entry.get("inputs") or []:
        lines = line_ranges(item.get("lines") or [])
        where = f" lines {lines}" if lines else ""
        rows = item.get("rows", 0)
        count = f"{rows:,} row{'' if rows == 1 else 's'}" if item["table"] != "programme" else ""
        detail = "; ".join(x for x in (item.get("filter", ""), count) if x)
        parts.append(f"{item['file']}{where}" + (f" ({detail})" if detail else ""))
    return "; ".join(parts) or "No rows of the pack (computed from other figures)"


def line_ranges(lines: list[int]) -> str:
    """``2, 5-7, 9``: sorted line numbers with runs collapsed."""
    runs: list[list[int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def appendix_rows(entries: list[dict]) -> list[dict]:
    """The "Figure register" appendix: one row per figure, sorted by id, with its anchor."""
    rows = []
    for entry in sorted(entries, key=lambda e: e["id"]):
        shown = shown_text(entry)
        rows.append(
            {
                "id": entry["id"],
                "anchor": anchor(entry["id"]),
                "label": entry["label"],
                "display": shown,
                "definition": entry["definition"],
                "inputs": inputs_text(entry),
                "function": entry.get("function", ""),
            }
        )
    return rows


APPENDIX_PLACE = "<!-- figure register entries -->"


def appendix_html(rows: list[dict]) -> str:
    """The appendix's entries (``appendix_rows``) as HTML, every text escaped as the template's ``| e``.

    The report template leaves ``APPENDIX_PLACE`` in the appendix's list, and ``render.render_html``
    puts these entries there once nbconvert has rendered the page: nbconvert parses and writes out
    again every page it renders (BeautifulSoup), and for these thousands of elements that pass cost
    more than the rest of the HTML rendering.
    """
    parts = []
    for row in rows:
        function = f'. Computed by <code class="token">{escape(row["function"])}</code>' if row["function"] else ""
        parts.append(
            f'<div class="register-entry" id="{escape(row["anchor"])}">\n'
            f'<dt><span class="register-label">{escape(row["label"])}</span>: '
            f'<span class="register-value">{escape(row["display"])}</span> '
            f'<code class="token">{escape(row["id"])}</code></dt>\n'
            f'<dd class="register-definition">{escape(row["definition"])}</dd>\n'
            f'<dd class="register-inputs">Inputs: {escape(row["inputs"])}{function}.</dd>\n'
            "</div>"
        )
    return "\n".join(parts)
