"""``Register``: figures as a section shows them, with their inputs; marks, links and the section decorator."""

from __future__ import annotations

import functools
import html
import math
import re

import numpy as np
import pandas as pd

METADATA_KEY = "audit_pipeline/figures"
READS_KEY = "audit_pipeline/reads"  # the pack tables a section output read (its default Source line, report.form)
OPEN, MID, CLOSE = "\ue000", "\ue001", "\ue002"  # private-use characters: never in a pack (see ``plain``)
_MARKED = re.compile(f"{OPEN}([^{MID}{CLOSE}]*){MID}([^{CLOSE}]*){CLOSE}")


def mark(figure_id: str, text: str) -> str:
    """``text`` marked as the display of figure ``figure_id`` (invisible until ``linkify`` or ``plain``)."""
    return f"{OPEN}{figure_id}{MID}{text}{CLOSE}"


def plain(text: str) -> str:
    """``text`` without figure marks (alt texts, captions, table cells)."""
    return _MARKED.sub(lambda m: m.group(2), str(text)).replace(OPEN, "").replace(MID, "").replace(CLOSE, "")


def anchor(figure_id: str) -> str:
    """The appendix anchor of a figure: ``fig-`` and the id, safe as an HTML id."""
    return "fig-" + re.sub(r"[^A-Za-z0-9._-]", "_", figure_id)


def linkify(escaped: str) -> str:
    """An already escaped text with each figure mark made a link to its register entry."""
    return _MARKED.sub(lambda m: f'<a class="figure-ref" href="#{anchor(m.group(1))}">{m.group(2)}</a>', escaped)


AT_LEAST = "at least "
NOT_COLLATED = "not collated"  # the display of a figure with no collated return (as fmt.NOT_COLLATED)


def shown(entry: dict, display: str) -> str:
    """A figure's marked display as the report shows it: ``at least`` before it when it is incomplete
    (``complete`` false: a total that a not-collated return would enter), so that the text and the
    register always agree."""
    return (AT_LEAST if _incomplete(entry, display) else "") + mark(entry["id"], display)


def _incomplete(entry: dict, display: str) -> bool:
    return not entry.get("complete", True) and display != NOT_COLLATED


def shown_text(entry: dict, display: str | None = None) -> str:
    """``shown`` without the mark: the text a reader sees (the appendix, commentary, figure diffs)."""
    display = entry["display"] if display is None else display
    return (AT_LEAST if _incomplete(entry, display) else "") + display


def _json_value(value):
    """A JSON-safe exact value: ints stay ints, floats rounded to 10 places, missing is ``None``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")).startswith("int")):
        return int(value)
    if isinstance(value, float) or hasattr(value, "__float__"):
        value = float(value)
        return None if math.isnan(value) else round(value, 10)
    return str(value)


class Register:
    """The figures of one period as a notebook shows them (see the package docstring)."""

    def __init__(self, pack, period):
        self.pack, self.period = pack, period
        self.entries: dict[str, dict] = {}
        self.touched: list[str] = []
        self._memo: dict = {}

    def memo(self, key, compute):
        """``compute()`` once per register for ``key`` (trackers, periods: shared by the figures of a notebook)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _columns(self, table: str) -> tuple:
        """A table's lines and sources as arrays (boolean masks then select without copying the frame)."""

        def arrays():
            frame = self.pack.tables[table]
            sources = frame["source"].to_numpy(object) if "source" in frame else None
            return frame["_line"].to_numpy(), sources

        return self.memo(("columns", table), arrays)

    # -- inputs

    def _file_name(self, table: str, default: str) -> str:
        """The name of the pack file ``table`` came from. Through the context's recording view this is
        a read of that name alone (``file-name:<table>``), not of every file in the pack."""
        named = getattr(self.pack, "file_name", None)
        name = named(table) if callable(named) else None
        if name is None and not callable(named):
            path = self.pack.files.get(table)
            name = path.name if path is not None else None
        return name or default

    def rows(self, table: str, mask=None, filter: str = "") -> dict:
        """An input: the rows of ``table`` selected by ``mask`` (all when ``None``), by their file lines."""
        lines, sources = self._columns(table)
        if mask is not None:
            chosen = mask.to_numpy(bool) if hasattr(mask, "to_numpy") else mask
            lines = lines[chosen]
            sources = sources[chosen] if sources is not None else None
        return {
            "table": table,
            "file": self._file_name(table, table),
            "lines": sorted(int(x) for x in lines),
            "filter": filter,
            "rows": int(len(lines)),
            "sources": sorted({str(x) for x in sources if not pd.isna(x)}) if sources is not None else [],
        }

    def line_rows(self, table: str, lines: list[int], filter: str = "") -> dict:
        """An input: the rows of ``table`` at the given file lines (no mask over the whole table)."""
        return self.rows(table, np.isin(self._columns(table)[0], list(lines)), filter)

    def programme_input(self, key: str) -> dict:
        """An input from programme.yaml: the key it was read from."""
        return {
            "table": "programme",
            "file": self._file_name("programme", "programme.yaml"),
            "lines": [],
            "filter": key,
            "rows": 0,
            "sources": [],
        }

    def transactions_input(self, filter: str, rows: int, where: dict) -> dict:
        """An input from the transactions: the filter in words and as data (``where``), and the row count."""
        return {
            "table": "transactions",
            "file": self._file_name("transactions", "transactions"),
            "lines": [],
            "filter": filter,
            "rows": int(rows),
            "sources": [],
            "where": where,
        }

    # -- figures

    def add(
        self,
        figure_id: str,
        value,
        display: str,
        *,
        label: str,
        unit: str,
        definition: str,
        inputs: list[dict] = (),
        function: str = "",
        complete: bool = True,
        check: dict | None = None,
        metric: str | None = None,
    ) -> str:
        """Record a figure (or another form of one already recorded) and return its marked display
        (with ``at least`` before it when ``complete`` is false)."""
        value = _json_value(value)
        entry = self.entries.get(figure_id)
        if entry is None:
            entry = {
                "id": figure_id,
                "label": label,
                "value": value,
                "unit": unit,
                "display": display,
                "displays": [display],
                "complete": bool(complete),
                "definition": definition,
                "inputs": list(inputs),
                "function": function,
                "check": check,
                "metric": metric,
            }
            self.entries[figure_id] = entry
        elif entry["value"] != value:
            raise ValueError(
                f"figure {figure_id} registered twice with different values: {entry['value']!r}, {value!r}"
            )
        elif display not in entry["displays"]:
            entry["displays"].append(display)
        self.touched.append(figure_id)
        return shown(entry, display)

    def again(self, figure_id: str, display: str | None = None) -> str:
        """Show a figure already registered in this notebook again (same entry, maybe another form)."""
        entry = self.entries[figure_id]
        if display is not None and display not in entry["displays"]:
            entry["displays"].append(display)
        self.touched.append(figure_id)
        return shown(entry, entry["display"] if display is None else display)

    def since(self, start: int) -> list[dict]:
        """The entries touched since position ``start`` of ``touched``, each once, in order."""
        ids = list(dict.fromkeys(self.touched[start:]))
        return [self.entries[i] for i in ids]


def _attach(output, entries: list[dict], tables: list[str] = ()):
    """Put ``entries`` (and the ``tables`` read) in a display object's metadata (kept by nbformat,
    never shown by the template)."""
    if not (entries or tables) or output is None or not hasattr(output, "metadata"):
        return output
    metadata = dict(output.metadata or {})
    if entries:
        metadata[METADATA_KEY] = entries
    if tables:
        metadata[READS_KEY] = list(tables)
    output.metadata = metadata
    return output


def section(fn):
    """Decorate a section function ``fn(ctx, ...)``: the figures it showed travel with its output."""

    from audit_pipeline.report import reads

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        register = getattr(ctx, "register", None)
        start = len(register.touched) if register is not None else 0
        with reads.capture() as names:
            output = fn(ctx, *args, **kwargs)
        tables = sorted(n for n in names if ":" not in n and n != "files")
        return _attach(output, register.since(start), tables) if register is not None else output

    return wrapper


def escape_linked(text: str) -> str:
    """Escape data text for HTML and link its figure marks."""
    return linkify(html.escape(str(text)))
