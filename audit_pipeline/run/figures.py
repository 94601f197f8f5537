"""Publish a period's figure register: ``figures.json`` and the auditor's working paper ``figures.xlsx``.

``figures.json``: ``{"programme_id", "period_id", "figures": [entry, ...]}`` with the entries of
``report.register`` sorted by id. ``figures.xlsx``: a sheet "Figures" (one row per figure) and one
sheet per input table holding the rows used (as the pack's typed tables hold them, with their line
in the file), each marked with the ids of the figures using it. Every text cell is written as text
(``data_type`` ``s``: a value starting with ``=``, ``+``, ``-``, ``@``, tab or CR never becomes a
formula), and the file is byte-identical for the same register (fixed document dates and zip
entry times).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path

import pandas as pd

from audit_pipeline.report.register.collect import collect_notebooks, inputs_text
from audit_pipeline.run.publish import write_json

FIXED = dt.datetime(2000, 1, 1)  # the workbook's created/modified dates: the same on every run
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIGURE_COLUMNS = ("id", "label", "value", "unit", "display", "complete", "definition", "inputs", "function")


def register_document(pack, period, notebooks: list[Path]) -> dict:
    """figures.json's content for a period, from its executed notebooks."""
    entries = sorted(collect_notebooks(notebooks), key=lambda e: e["id"])
    return {"programme_id": pack.programme["programme_id"], "period_id": period.period_id, "figures": entries}


def _text_cell(sheet, row: int, column: int, text: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with


def _put(sheet, row: int, column: int, value) -> None:
    """A cell: numbers as numbers, everything else (dates as ISO) as text."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, bool):
        _text_cell(sheet, row, column, "Yes" if value else "No")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.cell(row=row, column=column, value=value)
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        _put(sheet, row, column, value.item())
    elif isinstance(value, pd.Timestamp | dt.date):
        _text_cell(
            sheet, row, column, value.date().isoformat() if isinstance(value, pd.Timestamp) else value.isoformat()
        )
    else:
        _text_cell(sheet, row, column, str(value))


def _rows_by_table(entries: list[dict]) -> dict[str, dict[int, list[str]]]:
    """For each input table, each line used and the ids of the figures using it."""
    used: dict[str, dict[int, list[str]]] = {}
    for entry in entries:
        for item in entry.get("inputs") or []:
            for line in item.get("lines") or []:
                ids = used.setdefault(item["table"], {}).setdefault(int(line), [])
                if entry["id"] not in ids:
                    ids.append(entry["id"])
    return used


def workbook_bytes(pack, document: dict) -> bytes:
    """figures.xlsx for a register document (deterministic bytes)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    for column, name in enumerate(FIGURE_COLUMNS, start=1):
        _text_cell(sheet, 1, column, name)
    for row, entry in enumerate(document["figures"], start=2):
        values = {
            **entry,
            "inputs": inputs_text(entry),
            "complete": "Yes" if entry.get("complete", True) else "No (at least)",
        }
        for column, name in enumerate(FIGURE_COLUMNS, start=1):
            if name in ("value",):
                _put(sheet, row, column, values[name])
            else:
                _text_cell(sheet, row, column, "" if values.get(name) is None else str(values[name]))
    for table, lines in sorted(_rows_by_table(document["figures"]).items()):
        frame = pack.tables.get(table)
        if frame is None:
            continue
        rows = frame[frame["_line"].isin(list(lines))].sort_values("_line")
        columns = [c for c in frame.columns if c != "_line"]
        out = book.create_sheet(table[:31])
        for column, name in enumerate(["line", *columns, "figures"], start=1):
            _text_cell(out, 1, column, name)
        for row, (_, record) in enumerate(rows.iterrows(), start=2):
            out.cell(row=row, column=1, value=int(record["_line"]))
            for column, name in enumerate(columns, start=2):
                _put(out, row, column, record[name])
            _text_cell(out, row, len(columns) + 2, " ".join(lines[int(record["_line"])]))
    book.properties.created = FIXED
    book.properties.modified = FIXED
    book.properties.creator = "audit pipeline"
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry's date fixed (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" as it saves
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            target.writestr(fixed, content)
    return buffer.getvalue()


def write_figures(pack, period, folder: Path) -> dict:
    """Write figures.json and figures.xlsx into a period's staging folder; return the register document."""
    document = register_document(pack, period, sorted((folder / "notebooks").glob("*.ipynb")))
    write_json(folder / "figures.json", document)
    (folder / "figures.xlsx").write_bytes(workbook_bytes(pack, document))
    return document
