"""The cell parsers: examples for each rule of the contract, and properties checked by hypothesis."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audit_pipeline.pack import parsers
from audit_pipeline.pack.contract import RATINGS, REC_STATUSES, SERVICES

FAST = settings(max_examples=150, deadline=None)


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-01-13", dt.date(2014, 1, 13)),
        ("13/01/2014", dt.date(2014, 1, 13)),
        ("1/2/2014", dt.date(2014, 2, 1)),
        (" 31/03/2014 ", dt.date(2014, 3, 31)),
        ("29/02/2016", dt.date(2016, 2, 29)),
    ],
)
def test_parse_date_accepts_iso_and_uk(text, expected):
    assert parsers.parse_date(text) == expected


def test_parse_date_refuses_us_order_with_a_message_saying_so():
    with pytest.raises(ValueError, match="month-first"):
        parsers.parse_date("01/13/2014")


@pytest.mark.parametrize("text", ["31/02/2014", "2014-02-30", "29/02/2015", "00/01/2014", "2014-13-01", "2014-00-10"])
def test_parse_date_refuses_dates_not_in_the_calendar(text):
    with pytest.raises(ValueError, match="not a real calendar date"):
        parsers.parse_date(text)


@pytest.mark.parametrize(
    "text",
    [
        "2014/01/13",
        "13-01-2014",
        "13.01.2014",
        "13 Jan 2014",
        "20140113",
        "13/01/14",
        "2014-1-13",
        "",
        "TBC",
        "2014-01-13T00:00",
        "٢٠١٤-٠١-١٣",
        "１３/０１/２０１４",
    ],
)
def test_parse_date_refuses_other_formats(text):
    with pytest.raises(ValueError, match="not a date"):
        parsers.parse_date(text)


dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))


@FAST
@given(dates)
def test_any_iso_date_parses_back_to_itself(day):
    assert parsers.parse_date(day.isoformat()) == day


@FAST
@given(dates, st.booleans(), st.text(" ", max_size=2), st.text(" ", max_size=2))
def test_any_uk_date_parses_back_to_itself(day, padded, before, after):
    text = f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if padded else f"{day.day}/{day.month}/{day.year:04d}"
    assert parsers.parse_date(before + text + after) == day


@FAST
@given(dates.filter(lambda d: d.day > 12))
def test_us_month_first_dates_are_refused(day):
    with pytest.raises(ValueError):
        parsers.parse_date(f"{day.month:02d}/{day.day:02d}/{day.year:04d}")


@FAST
@given(st.text(max_size=20))
@example("99/99/9999")
@example("0000-01-01")
@example("31/12/0000")
@example("1/1/10000")
def test_parse_date_random_text_raises_only_value_error(text):
    try:
        value = parsers.parse_date(text)
    except ValueError:
        return
    assert isinstance(value, dt.date)


@FAST
@given(st.text(alphabet="0123456789/-. ", max_size=12))
def test_parse_date_date_like_text_is_a_date_or_value_error(text):
    try:
        value = parsers.parse_date(text)
    except ValueError:
        return
    # Anything accepted is written in one of the two formats and means that date.
    stripped = text.strip()
    assert stripped in (
        value.isoformat(),
        f"{value.day}/{value.month}/{value.year:04d}",
        f"{value.day:02d}/{value.month:02d}/{value.year:04d}",
        f"{value.day:02d}/{value.month}/{value.year:04d}",
        f"{value.day}/{value.month:02d}/{value.year:04d}",
    )


# --- money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.8", 9.8),
        ("1,234.5", 1234.5),
        ("£9.8", 9.8),
        ("  £ 9.8  ", 9.8),
        ("\u00a0£\u00a09.8\t", 9.8),
        ("£1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("0", 0.0),
        (".5", 0.5),
        ("-0.5", -0.5),
        ("-£1.2", -1.2),
        ("£-1.2", -1.2),
    ],
)
def test_parse_money_accepts_contract_forms(text, expected):
    assert parsers.parse_money(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "9.8m",
        "n/a",
        "TBC",
        "£",
        "",
        "1,23",
        "12,34.5",
        "1.2.3",
        "$5",
        "9.8 £",
        "--1",
        "-£-1",
        "1e3",
        "£9.8bn",
        "1 234",
        "٩.٨",
        "１２",
        "1" * 400,
    ],
)
def test_parse_money_refuses_anything_else(text):
    with pytest.raises(ValueError, match="not an amount"):
        parsers.parse_money(text)


def _positional(number: float) -> str:
    """The shortest text that reads back as ``number``, without an exponent."""
    return np.format_float_positional(number, trim="-")


def _grouped(digits: str) -> str:
    """Insert thousands separators into the whole part of a positional number."""
    whole, _, fraction = digits.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ",".join(groups) + ("." + fraction if fraction else "")


@FAST
@given(
    st.floats(min_value=-parsers.MONEY_LIMIT, max_value=parsers.MONEY_LIMIT),
    st.booleans(),
    st.booleans(),
    st.text(" ", max_size=2),
    st.text(" ", max_size=2),
)
@example(1234.5, True, True, "", "")
@example(-0.5, True, False, " ", " ")
def test_any_amount_round_trips(number, pound, grouped, before, after):
    digits = _positional(abs(number))
    if grouped:
        digits = _grouped(digits)
    text = ("-" if number < 0 else "") + ("£" if pound else "") + digits
    assert parsers.parse_money(before + text + after) == number


@FAST
@given(st.text(max_size=20))
@example("£")
@example("1" * 400)
def test_parse_money_random_text_raises_only_value_error(text):
    try:
        value = parsers.parse_money(text)
    except ValueError:
        return
    assert isinstance(value, float)
    assert np.isfinite(value)


# --- numbers, whole numbers, booleans --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("92.5", 92.5), ("-3", -3.0), ("1,234.5", 1234.5), ("1e3", 1000.0), ("+2", 2.0)]
)
def test_parse_number(text, expected):
    assert parsers.parse_number(text) == expected


@pytest.mark.parametrize("text", ["92.5%", "n/a", "1e999", "inf", "nan", "٣", "1,2"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parsers.parse_number(text)


@pytest.mark.parametrize(("text", "expected"), [("3", 3), ("1,234", 1234), ("1234.0", 1234), ("-2", -2), (" 7 ", 7)])
def test_parse_int(text, expected):
    assert parsers.parse_int(text) == expected


@pytest.mark.parametrize("text", ["1.5", "three", "", "1e3", "٣", "99999999999999999999"])
def test_parse_int_refuses(text):
    with pytest.raises(ValueError):
        parsers.parse_int(text)


@FAST
@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_any_whole_number_round_trips(number):
    assert parsers.parse_int(str(number)) == number
    assert parsers.parse_int(f"{number:,}") == number


@FAST
@given(st.text(max_size=20))
def test_parse_int_and_number_random_text_raise_only_value_error(text):
    for parse in (parsers.parse_int, parsers.parse_number):
        try:
            value = parse(text)
        except ValueError:
            continue
        assert isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize(
    ("text", "expected"), [("Yes", True), ("n", False), ("TRUE", True), ("0", False), (" y ", True)]
)
def test_parse_bool(text, expected):
    assert parsers.parse_bool(text) is expected


def test_parse_bool_refuses_other_words():
    with pytest.raises(ValueError):
        parsers.parse_bool("maybe")


# --- identifiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ngss", "P1", "2013-14.Q4", "a_b-c.d", "x" * 64])
def test_parse_id_accepts(text):
    assert parsers.parse_id(text) == text


@pytest.mark.parametrize("text", ["a/b", "../etc", ".hidden", "-x", "_x", "x" * 65, "a b", "", "é", "a\\b", "a:b"])
def test_parse_id_refuses(text):
    with pytest.raises(ValueError, match="not a valid identifier"):
        parsers.parse_id(text)


@FAST
@given(st.text(max_size=70))
def test_accepted_ids_are_safe_file_names(text):
    try:
        value = parsers.parse_id(text)
    except ValueError:
        return
    assert "/" not in value and "\\" not in value
    assert not value.startswith(".")
    assert 1 <= len(value) <= 64
    assert value.isascii()


# --- enumerations and services ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("In progress", REC_STATUSES, "in_progress"),
        ("IN-PROGRESS", REC_STATUSES, "in_progress"),
        (" in_progress ", REC_STATUSES, "in_progress"),
        ("Amber-Green", RATINGS, "amber_green"),
        ("amber green", RATINGS, "amber_green"),
        ("Not Implemented", REC_STATUSES, "not_implemented"),
    ],
)
def test_enum_folding(text, values, expected):
    assert parsers.parse_enum(text, values) == expected


@pytest.mark.parametrize("text", ["done", "inprogress", "amber/green", "greenish"])
def test_enum_refuses_unknown_values(text):
    with pytest.raises(ValueError, match="not one of"):
        parsers.parse_enum(text, REC_STATUSES + RATINGS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("finance", "finance"),
        ("HR; Finance", "finance;hr"),
        ("procurement;finance;hr", "finance;hr;procurement"),
        ("finance;", "finance"),
    ],
)
def test_services_subset(text, expected):
    assert parsers.parse_services(text, SERVICES) == expected


@pytest.mark.parametrize("text", ["payroll", "finance;payroll", ";", "finance, hr"])
def test_services_refuses_outside_the_set(text):
    with pytest.raises(ValueError):
        parsers.parse_services(text, SERVICES)


def test_free_text_is_kept_as_written():
    for text in ["<script>alert(1)</script>", '=HYPERLINK("http://x.example","click")', "+1", "@SUM(A1)", "-2"]:
        assert parsers.parse_text(text) == text


@FAST
@given(st.text(max_size=30), st.sampled_from([REC_STATUSES, RATINGS, SERVICES]))
def test_enum_random_text_is_a_value_or_value_error(text, values):
    try:
        value = parsers.parse_enum(text, values)
    except ValueError:
        return
    assert value in values


@pytest.mark.parametrize("text", ["1e308", "1000000000.5", "-2,000,000,000", "£99999999999"])
def test_parse_money_refuses_amounts_beyond_the_limit(text):
    with pytest.raises(ValueError, match="not an amount in £ million"):
        parsers.parse_money(text)
