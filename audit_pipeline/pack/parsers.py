"""Cell parsers: one value of text in, one typed value out, or ``ValueError``.

The message of each ``ValueError`` is the rule in words, ready for a finding.
These are the single definition of what a valid cell is; the bulk path for
large transaction files (``transactions.py``) is tested against them.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from audit_pipeline.pack.contract import ID_PATTERN

# Digits are ASCII ``[0-9]`` only (``\d`` would also match, say, Arabic-Indic digits).
_ID = re.compile(ID_PATTERN)
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_UK_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
_PLAIN_NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
_GROUPED_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)"
_MONEY = re.compile(rf"^(-?)\s*(£?)\s*(-?)\s*({_GROUPED_NUMBER}|{_PLAIN_NUMBER})$")
_NUMBER = re.compile(rf"^([+-]?)({_GROUPED_NUMBER}|{_PLAIN_NUMBER})(?:[eE][+-]?[0-9]+)?$")
_INT = re.compile(r"^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0+)?$")
# Whole numbers are stored as 64-bit integers.
_INT_LIMIT = 2**63 - 1
# The largest amount (in £ million) and the largest plain number a cell may hold: far above any real
# return, and small enough that sums of millions of them stay finite (two costs of 1e308 do not).
MONEY_LIMIT = 1_000_000_000.0
NUMBER_LIMIT = 1e12
_TRUE = {"yes", "true", "y", "1"}
_FALSE = {"no", "false", "n", "0"}


def is_blank(text: str | None) -> bool:
    """True for a missing cell or one holding only spaces."""
    return text is None or str(text).strip() == ""


def parse_id(text: str) -> str:
    """An identifier: letters, digits, ``_ . -``; starts with a letter or digit; at most 64."""
    value = text.strip()
    if not _ID.match(value):
        raise ValueError(
            "not a valid identifier: use letters, digits, '_', '.' or '-', starting with a letter or digit, at most 64 characters"
        )
    return value


def parse_date(text: str) -> dt.date:
    """An ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY`` date; US month-first order is refused."""
    value = text.strip()
    iso = _ISO_DATE.match(value)
    uk = _UK_DATE.match(value)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if uk:
            return dt.date(int(uk[3]), int(uk[2]), int(uk[1]))
    except ValueError:
        if uk and int(uk[2]) > 12 and int(uk[1]) <= 12:
            raise ValueError("not a date: UK dates are DD/MM/YYYY; month-first (US) dates are not accepted") from None
        raise ValueError("not a real calendar date") from None
    raise ValueError("not a date: use YYYY-MM-DD or DD/MM/YYYY")


def parse_money(text: str) -> float:
    """Pounds in millions: ``9.8``, ``1,234.5``, ``£9.8``, ``-£1.2``, with spaces around."""
    match = _MONEY.match(text.strip())
    if not match or (match[1] and match[3]):
        raise ValueError("not an amount in £ million: use a number such as 9.8, 1,234.5 or £9.8")
    number = float(match[4].replace(",", ""))
    if not number <= MONEY_LIMIT:
        raise ValueError("not an amount in £ million: more than the limit of 1,000,000,000 (£ million)")
    return -number if (match[1] or match[3]) else number


def parse_number(text: str) -> float:
    """A plain number, possibly negative, with optional thousands separators or exponent."""
    value = text.strip()
    if not _NUMBER.match(value):
        raise ValueError("not a number")
    number = float(value.replace(",", ""))
    if math.isinf(number) or math.isnan(number):
        raise ValueError("not a finite number")
    if abs(number) > NUMBER_LIMIT:
        raise ValueError("not a number this pipeline accepts: larger than 1,000,000,000,000")
    return number


def parse_int(text: str) -> int:
    """A whole number (``1,234`` and Excel's ``1234.0`` accepted)."""
    match = _INT.match(text.strip())
    if not match:
        raise ValueError("not a whole number")
    number = int(match[2].replace(",", ""))
    if number > _INT_LIMIT:
        raise ValueError("not a whole number: too large")
    return -number if match[1] == "-" else number


def parse_bool(text: str) -> bool:
    """``yes``/``no``/``true``/``false``/``y``/``n``/``1``/``0``, any case."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("not yes/no: use yes, no, true, false, y, n, 1 or 0")


def normalise_enum(text: str) -> str:
    """Fold case, and read spaces and hyphens as ``_`` (``In progress`` == ``in_progress``)."""
    return re.sub(r"[\s\-_]+", "_", text.strip().lower())


def parse_enum(text: str, values: tuple[str, ...]) -> str:
    """One of ``values`` after folding (see ``normalise_enum``)."""
    value = normalise_enum(text)
    if value not in values:
        raise ValueError("not one of: " + ", ".join(values))
    return value


def parse_services(text: str, values: tuple[str, ...]) -> str:
    """A ``;``-separated subset of ``values``; returned folded, in contract order, ``;``-joined."""
    items = [normalise_enum(part) for part in text.split(";") if part.strip()]
    unknown = [i for i in items if i not in values]
    if not items or unknown:
        raise ValueError("not a ';'-separated list of: " + ", ".join(values))
    return ";".join(v for v in values if v in items)


def parse_text(text: str) -> str:
    """Free text, kept as data (trimmed of surrounding spaces)."""
    return str(text).strip()
