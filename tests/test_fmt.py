"""Number style (NAO): £9.8 million in text, £ million in table headers, financial years 2013-14."""

import datetime as dt

import pandas as pd
import pytest

from audit_pipeline.report import fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (9.8, "£9.8 million"),
        (400, "£400 million"),
        (1234.5, "£1,234.5 million"),
        (-1.2, "-£1.2 million"),
        (0.0, "£0 million"),
        (None, "not available"),
        (float("nan"), "not available"),
    ],
)
def test_money_in_text(value, text):
    assert fmt.money(value) == text


def test_money_range_and_point_estimates():
    assert fmt.money_range(400, 600) == "£400 million to £600 million"
    assert fmt.money_range(484, 484) == "£484 million"


def test_incomplete_totals_say_at_least():
    assert fmt.at_least(9.8, 6) == "at least £9.8 million (6 bodies' costs not collated)"
    assert fmt.at_least(9.8, 1) == "at least £9.8 million (1 body's costs not collated)"
    assert fmt.at_least(9.8, 0) == "£9.8 million"


def test_table_cells_leave_the_unit_to_the_header():
    assert fmt.money_cell(9.8) == "9.8"
    assert fmt.money_cell(float("nan")) == "not collated"


@pytest.mark.parametrize(
    ("day", "year"),
    [(dt.date(2014, 3, 31), "2013-14"), (dt.date(2014, 4, 1), "2014-15"), (pd.Timestamp("2000-01-15"), "1999-00")],
)
def test_financial_years(day, year):
    assert fmt.financial_year(day) == year


def test_counts_dates_shares_and_words():
    assert fmt.count(140000) == "140,000"
    assert fmt.count(1, "body", "bodies") == "1 body" and fmt.count(3, "body", "bodies") == "3 bodies"
    assert fmt.date(pd.Timestamp("2014-03-31")) == "31 March 2014"
    assert fmt.share(0.2857) == "28.6%" and fmt.share(None) == "not available"
    assert fmt.share(0.95) == "95.0%" and fmt.percent(96.12) == "96.1%" and fmt.percent(97) == "97.0%"
    assert fmt.measure(97, "percent") == "97.0%" and fmt.measure(0.26, "gbp_m") == "£0.3 million"
    assert fmt.money_in_table(94) == "£94.0 million" and fmt.money_in_table(-1.25) == "-£1.2 million"
    assert fmt.words("amber_green") == "Amber/green" and fmt.words("in_progress") == "In progress"
