"""The exceptions register (issue 10, item 7), worked by hand on tests/fixtures/hand_pack.

Every check is listed with its rule and tolerance, and what it examined and found, even when
it finds nothing. Periods: A (Apr-Jun 2014), B (Jul-Sep 2014), C (Oct-Dec 2014).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from audit_pipeline.measures import exceptions as E
from audit_pipeline.measures import periods as P
from audit_pipeline.measures import service
from audit_pipeline.measures.summary import key_figures
from audit_pipeline.pack.load import load_pack
from audit_pipeline.report.context import Context
from audit_pipeline.report.register.core import plain
from audit_pipeline.report.sections import quality as Q

HAND = Path(__file__).parent / "fixtures" / "hand_pack"


@pytest.fixture(scope="module")
def pack():
    return load_pack(HAND)


@pytest.fixture(scope="module")
def early_pack(tmp_path_factory):
    """hand_pack with centre c2 going live on 1 October 2014 (after B) and a k1 value for c2 in A,
    when c2 received no transaction."""
    folder = tmp_path_factory.mktemp("early") / "pack"
    shutil.copytree(HAND, folder)
    centres = (folder / "centres.csv").read_text(encoding="utf-8")
    (folder / "centres.csv").write_text(centres.replace("procurement,\n", "procurement,2014-10-01\n"), encoding="utf-8")
    with (folder / "kpi_values.csv").open("a", encoding="utf-8") as f:
        f.write("A,c2,k1,80,2014-07-15\n")  # line 6
    return load_pack(folder)


def period(pack, period_id):
    return P.period_of(pack.tables["periods"], period_id)


def kpis(pack, period_id):
    t = pack.tables
    return service.kpi_table(t["kpis"], t["kpi_values"], period(pack, period_id), 30)


def figures(pack, period_id):
    return key_figures(pack, period(pack, period_id))["service"]


def rows(shown) -> list[dict]:
    soup = BeautifulSoup(plain(shown.data), "html.parser")
    headers = [th.get_text() for th in soup.select("thead th")]
    return [
        dict(zip(headers, (c.get_text() for c in tr.find_all(["th", "td"])), strict=True))
        for tr in soup.select("tbody tr")
        if len(tr.find_all(["th", "td"])) == len(headers)
    ]


def context(pack, period_id):
    p = period(pack, period_id)
    return Context(pack, p, P.previous_period(pack.tables["periods"], p))


def test_reported_against_transaction_derived_at_b(pack):
    # c1 in B: 2 of 4 within SLA (50%), median 5 days; c2: 1 of 1 (100%).
    # c1 k1 96% against 50%: 46 points > 5 -> exception; c2 k1 90% against 100%: 10 points -> exception;
    # c1 k2 4 days against a median of 5: 1 day, not more than the 1-day tolerance -> no exception.
    got = E.reported_vs_derived(kpis(pack, "B"), figures(pack, "B"), pack.tables["centres"])
    table = {(r.centre_id, r.kpi_id): (r.derived, r.difference, r.exception) for r in got.itertuples()}
    assert table == {
        ("c1", "k1"): (50.0, 46.0, True),
        ("c2", "k1"): (100.0, -10.0, True),
        ("c1", "k2"): (5.0, -1.0, False),
    }


def test_comparisons_are_by_unit_and_name():
    assert E.comparison_for("days", "Days to process")["derived"] == "median_days_to_complete"
    assert E.comparison_for("percent", "Invoices paid within 5 days")["derived"] == "within_sla_share"
    assert E.comparison_for("percent", "Payroll accuracy") is None  # no comparable transaction figure
    assert E.comparison_for("count", "Open helpdesk tickets") is None


def test_values_before_go_live(pack, early_pack):
    # c2 goes live 1 Oct 2014: its k1 value for B (ended 30 Sep) is an exception; c1 (live 1 Apr) is not.
    got = E.before_go_live(kpis(early_pack, "B"), early_pack.tables["centres"], early_pack.tables["periods"])
    assert {(r.centre_id, r.kpi_id): (r.checked, r.exception) for r in got.itertuples()} == {
        ("c1", "k1"): (True, False),
        ("c2", "k1"): (True, True),
        ("c1", "k2"): (True, False),
    }
    # In the hand pack itself c2 has no go-live date: it cannot be checked, so it is no exception.
    got = E.before_go_live(kpis(pack, "B"), pack.tables["centres"], pack.tables["periods"])
    assert list(got["checked"]) == [True, False, True] and not got["exception"].any()


def test_values_with_no_transactions(early_pack):
    # A: c1 received t6 and t8; c2 received nothing, yet reported k1 (line 6).
    got = E.without_transactions(kpis(early_pack, "A"), figures(early_pack, "A"), True)
    assert {r.centre_id: (r.volume, r.exception) for r in got.itertuples()} == {"c1": (2, False), "c2": (0, True)}
    assert E.without_transactions(kpis(early_pack, "A"), {}, False) is None  # no transaction data: not checked


def test_forecasts_against_actuals(pack):
    # B: b1 central forecast 0.4 (line 9), actual 2.2 (line 4): 1.8 above, 450% of the forecast.
    got = E.forecast_vs_actual(pack.tables["costs"], "cost_type", "B")
    assert got[["body_id", "forecast", "actual", "share", "exception"]].values.tolist() == [["b1", 0.4, 2.2, 4.5, True]]
    assert (got.loc[0, "forecast_lines"], got.loc[0, "actual_lines"]) == ([9], [4])
    # C: b1 shared services forecast 4.0, actual 9.0: 125% above. b1's central forecast for C has no actual.
    got = E.forecast_vs_actual(pack.tables["savings"], "attribution", "C")
    assert got[["body_id", "forecast", "actual", "share"]].values.tolist() == [["b1", 4.0, 9.0, 1.25]]
    assert E.forecast_vs_actual(pack.tables["costs"], "cost_type", "C").empty


def test_forecast_tolerance_boundary():
    frame = pd.DataFrame(
        [
            ("P", "x", "t", 1.0, "forecast", 1),
            ("P", "x", "t", 1.25, "actual", 2),  # 25% above: within the tolerance
            ("P", "y", "t", 1.0, "forecast", 3),
            ("P", "y", "t", 0.74, "actual", 4),  # 26% below: an exception
            ("P", "z", "t", 0.0, "forecast", 5),
            ("P", "z", "t", 0.1, "actual", 6),  # a zero forecast: any actual is an exception
            ("P", "w", "t", 1.0, "forecast", 7),
            ("P", "w", "t", None, "not_collated", 8),  # nothing to compare with
        ],
        columns=["period_id", "body_id", "kind", "amount_gbp_m", "status", "_line"],
    )
    got = E.forecast_vs_actual(frame, "kind", "P").set_index("body_id")
    assert list(got.index) == ["x", "y", "z"]
    assert got["exception"].to_dict() == {"x": False, "y": True, "z": True}
    assert pd.isna(got.loc["z", "share"])


def test_the_register_lists_every_check_even_when_it_finds_nothing(pack):
    # C: no KPI values, so the three KPI checks examine nothing and find nothing, and are still listed;
    # b1's shared services forecast 4.0 against an actual 9.0 is the one exception.
    register = rows(Q.exceptions_register(context(pack, "C")))
    assert [r["Check"] for r in register] == list(Q.CHECKS.values())
    assert all(r["Rule and tolerance"] for r in register)
    assert [r["Examined"] for r in register][:3] == [
        "0 KPI values",
        "0 KPI values",
        "0 KPI values with a comparable figure",
    ]
    assert [r["Exceptions found"] for r in register] == ["0", "0", "0", "0 cost forecasts and 1 savings forecast"]
    rule = register[2]["Rule and tolerance"]
    assert "more than 1 day" in rule and "more than 5 percentage points" in rule
    assert "more than 25.0% of the forecast" in register[3]["Rule and tolerance"]
    (only,) = rows(Q.exceptions_list(context(pack, "C")))
    assert only["What was found"] == "Forecast £4.0 million; actual £9.0 million, 125.0% above the forecast."


def test_the_list_shows_each_exception_with_its_figures(pack):
    found = rows(Q.exceptions_list(context(pack, "B")))
    details = [(r["Check"], r["Item"], r["What was found"]) for r in found]
    assert (
        "Self-reported KPIs against transaction-derived figures",
        "Invoices paid within 5 days, Centre One",
        "Reported 96.0%; transactions give 50.0% completed within SLA: the reported value is 46 percentage points above.",
    ) in details
    assert (
        "Forecasts against the actuals that followed",
        "Central programme (costs), Body One",
        "Forecast £0.4 million; actual £2.2 million, 450.0% above the forecast.",
    ) in details
    assert len(details) == 3  # c1 k1, c2 k1 and b1's costs; c1 k2 is within the tolerance
    register = {r["Check"]: r for r in rows(Q.exceptions_register(context(pack, "B")))}
    assert register["Self-reported KPIs against transaction-derived figures"]["Exceptions found"] == "2"
    assert (
        register["Self-reported KPIs against transaction-derived figures"]["Examined"]
        == "3 KPI values with a comparable figure"
    )
    assert register["Self-reported KPI values with no transactions in the period"]["Examined"] == "3 KPI values"
