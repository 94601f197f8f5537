"""A second data pack for the figure-register tests: another programme, half-year periods, XLSX.

``write_second_pack(folder)`` writes the pack builder's default tables as XLSX sheets (dates as
date cells, amounts as number cells), with periods ``H1-2013`` and ``H2-2013``, the programme
``hrx`` and a blank sheet row in costs.xlsx (so that sheet rows are not record numbers), plus a
``commentary.md`` (``COMMENTARY``) with live figures, hostile Markdown and a period not in the pack.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from packbuilder import default_tables, write_pack

PROGRAMME = """\
programme_id: hrx
name: Human Resources Exchange
sponsor: Home Office
strategy_published: 2012-12-01
thresholds:
  onboarding_slip_days_amber: 60
  onboarding_slip_days_red: 120
"""
PERIODS = ("H1-2013", "H2-2013")
IDS = ("period_id", "label", "rec_id", "kpi_id", "body_id", "centre_id", "transaction_id", "estimate_id")
COMMENTARY = """\
Notes for the team are not shown.

## H1-2013

### Conclusion

The programme has spent **{{costs.total_to_date}}** so far; see the [guidance](https://www.gov.uk/guidance).

### Costs and savings

Central costs were {{ costs.central_programme_to_date }}.
<script>alert("commentary")</script> ![a picture](https://example.org/x.png)
[a bad link](javascript:alert("x")) and <b>bold markup</b> stay text.

## H2-2013

### Onboarding and the standard operating model

# A heading in the text

{{onboarding.onboarded}} of {{onboarding.bodies}} bodies had been onboarded.

## H1-2099

### Summary

Text for a period that is not in the pack.
"""


def _typed(value):
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value) if "." in value else int(value)
    return value


def write_second_pack(folder: Path, commentary: str | None = COMMENTARY) -> Path:
    """The second pack in ``folder`` (see the module docstring)."""
    tables = default_tables()
    tables["periods"] = [
        {"period_id": "H1-2013", "label": "2013 H1", "start_date": "2013-04-01", "end_date": "2013-09-30"},
        {"period_id": "H2-2013", "label": "2013 H2", "start_date": "2013-10-01", "end_date": "2014-03-31"},
    ]
    for rows in tables.values():
        for row in rows:
            if row.get("period_id") in ("P1", "P2"):
                row["period_id"] = PERIODS[int(row["period_id"][1]) - 1]
            for key, value in row.items():
                if key not in IDS:
                    row[key] = _typed(value)
    extra = {"commentary.md": commentary} if commentary is not None else {}
    write_pack(folder, tables, formats=dict.fromkeys(tables, "xlsx"), programme=PROGRAMME, extra_files=extra)
    from openpyxl import load_workbook

    book = load_workbook(folder / "costs.xlsx")
    book.worksheets[0].insert_rows(3)  # a blank row: costs records now sit on sheet rows 2, 4, 5
    book.save(folder / "costs.xlsx")
    return folder
