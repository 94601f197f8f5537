"""Number style for reviewers, after the NAO: ``£9.8 million`` in text, ``£ million`` in table
headers, financial years as ``2013-14``. Every notebook formats through this module.

One style in tables (issue 10, item 9): money in £ million to one decimal place (``money_cell``
under a ``£ million`` header, ``money_in_table`` where a cell names its unit, as a KPI in £ million
does); every percentage, in tables and text, to one decimal place (``percent``, ``share``).
``tests/test_report_form.py`` checks every rendered table against these rules.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from audit_pipeline.report.bidi import balanced, isolate  # noqa: F401  (part of the number and text style)

MISSING = "not available"
MONEY_PLACES = 1  # £ million in tables
PERCENT_PLACES = 1  # every percentage
NOT_COLLATED = "not collated"  # a return that was not collated: missing, never zero


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def number(value: float | None, places: int = 1) -> str:
    """``1,234.5``; whole numbers without decimals; missing values say so."""
    if _missing(value):
        return MISSING
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.{places}f}"


def money(value: float | None, places: int = 1) -> str:
    """£ million in running text: ``£9.8 million``, ``-£1.2 million``; missing says so, never £0."""
    if _missing(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}£{number(abs(value), places)} million"


def money_cell(value: float | None, places: int = 1) -> str:
    """£ million in a table whose header says ``£ million``: ``9.8``; missing is ``not collated``."""
    if _missing(value):
        return NOT_COLLATED
    return f"{value:,.{places}f}"


def money_in_table(value: float | None) -> str:
    """£ million in a table cell that names its unit: ``£0.3 million``, always to one decimal place."""
    if _missing(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{MONEY_PLACES}f} million"


def money_range(low: float, high: float) -> str:
    """``£400 million to £600 million``, or one figure for a point estimate."""
    if low == high:
        return money(low)
    return f"{money(low)} to {money(high)}"


def at_least(total: float, missing_bodies: int, what: str = "costs") -> str:
    """A total that is incomplete: ``at least £9.8 million; 6 bodies' costs not collated``."""
    if missing_bodies:
        noun = "body's" if missing_bodies == 1 else "bodies'"
        return f"at least {money(total)} ({missing_bodies} {noun} {what} not collated)"
    return money(total)


def percent(value: float | None) -> str:
    """A percentage, always to one decimal place: ``96.1%``, ``95.0%``."""
    if _missing(value):
        return MISSING
    return f"{value:,.{PERCENT_PLACES}f}%"


def share(value: float | None) -> str:
    """A fraction as a percentage, to one decimal place (``percent``): ``0.2857`` -> ``28.6%``."""
    if _missing(value):
        return MISSING
    return percent(round(value * 100, 10))


def count(value: int | None, singular: str | None = None, plural: str | None = None) -> str:
    """``140,000``; with a noun, ``1 body`` / ``3 bodies``."""
    if _missing(value):
        return MISSING
    text = f"{int(value):,}"
    if singular:
        noun = singular if int(value) == 1 else (plural or singular + "s")
        text = f"{text} {noun}"
    return text


def financial_year(day: dt.date | pd.Timestamp) -> str:
    """UK financial year (April to March) of a date: 31 March 2014 -> ``2013-14``."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{str(start + 1)[-2:]}"


def date(day: dt.date | pd.Timestamp | None) -> str:
    """``31 March 2014``."""
    if _missing(day):
        return MISSING
    return f"{day.day} {day:%B %Y}"


def words(enum_value: str | None) -> str:
    """An enumerated value in words: ``in_progress`` -> ``In progress``, ``amber_green`` -> ``Amber/green``."""
    if _missing(enum_value):
        return MISSING
    text = str(enum_value).replace("amber_", "amber/").replace("_", " ")
    return text[:1].upper() + text[1:]


def measure(value: float | None, unit: str) -> str:
    """A KPI value or benchmark in its unit: ``96.1%``, ``2.6 days``, ``425``, ``£0.3 million``."""
    if _missing(value):
        return MISSING
    if unit == "percent":
        return percent(value)
    if unit == "days":
        return "1 day" if value == 1 else f"{number(value, 1)} days"
    if unit == "gbp_m":
        return money_in_table(value)
    return number(value, 1)
