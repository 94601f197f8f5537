"""Signals, not a homemade rating (issue 10, item 6), worked by hand on tests/fixtures/hand_pack.

Periods: A (Apr-Jun 2014), B (Jul-Sep 2014), C (Oct-Dec 2014). The pipeline gives no rating
of its own: each signal states its rule, its threshold, this period's value and whether the
threshold is met; the official delivery confidence rating is the only rating, with who gave it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from audit_pipeline.measures import periods as P
from audit_pipeline.measures import service
from audit_pipeline.measures.summary import SIGNAL_DEFAULTS, key_figures, official_rating, signals
from audit_pipeline.pack.load import load_pack
from audit_pipeline.report.context import Context
from audit_pipeline.report.register.core import plain
from audit_pipeline.report.sections import summary as S

HAND = Path(__file__).parent / "fixtures" / "hand_pack"


@pytest.fixture(scope="module")
def pack():
    return load_pack(HAND)


def period(pack, period_id):
    return P.period_of(pack.tables["periods"], period_id)


def kpi_rows(pack, period_id, before_go_live=()):
    t = pack.tables
    rows = service.kpi_table(t["kpis"], t["kpi_values"], period(pack, period_id), 30)
    return rows.assign(before_go_live=rows["_line"].isin(before_go_live))


def by_signal(pack, period_id, thresholds=None, cost_high=95.0, before_go_live=()):
    figures = key_figures(pack, period(pack, period_id))
    found = signals(
        figures, thresholds or pack.programme["thresholds"], kpi_rows(pack, period_id, before_go_live), cost_high
    )
    return {s["signal"]: s for s in found}


def context(pack, period_id):
    p = period(pack, period_id)
    return Context(pack, p, P.previous_period(pack.tables["periods"], p))


def text(shown) -> str:
    soup = BeautifulSoup(plain(shown.data), "html.parser")
    for block in soup.find_all(["p", "td", "th", "caption"]):
        block.append(" | ")
    return " ".join(soup.get_text().split())


def rows(shown) -> list[dict]:
    soup = BeautifulSoup(plain(shown.data), "html.parser")
    headers = [th.get_text() for th in soup.select("thead th")]
    return [
        dict(zip(headers, (c.get_text() for c in tr.find_all(["th", "td"])), strict=True))
        for tr in soup.select("tbody tr")
    ]


def test_signals_at_a_by_hand(pack):
    s = by_signal(pack, "A")
    # b2 planned 15 Jun, not onboarded by 30 Jun: 1 of 5 bodies overdue; at most 0 -> not met.
    assert (s["onboarding_overdue"]["value"], s["onboarding_overdue"]["of"], s["onboarding_overdue"]["status"]) == (
        1,
        5,
        "not_met",
    )
    # Open at A: r3, r5 not started; r2, r4 in progress = 4; overdue r5 (target 1 May) = 1 -> 25%,
    # which is not below the 25% threshold (programme.yaml default): not met, at the boundary.
    rec = s["recommendations_overdue"]
    assert (rec["value"], rec["of"], rec["share"], rec["threshold"], rec["status"]) == (1, 4, 0.25, 0.25, "not_met")
    # Costs 1.1 to date, below the £95 million high end, but b2's A return not collated: met so far only.
    assert (s["costs_against_estimate"]["value"], s["costs_against_estimate"]["status"]) == (1.1, "met_incomplete")
    # c1 k1 93 against a benchmark of 95 (higher is better): 1 of 1 missed.
    assert (s["kpis_missing_benchmark"]["value"], s["kpis_missing_benchmark"]["of"]) == (1, 1)
    assert s["kpis_missing_benchmark"]["status"] == "not_met"
    # Reported 20 Jul, 20 days after 30 Jun, within 30: 0 of 1 late -> met.
    assert (s["mi_late"]["value"], s["mi_late"]["of"], s["mi_late"]["status"]) == (0, 1, "met")


def test_signals_at_b_by_hand(pack):
    s = by_signal(pack, "B")
    # r2 (revised to 31 Aug) and r4 (1 Sep) overdue of 3 open (r2, r3, r4; r5 superseded): 0.6667.
    assert (s["recommendations_overdue"]["value"], s["recommendations_overdue"]["of"]) == (2, 3)
    assert s["recommendations_overdue"]["share"] == 0.6667
    # c1 k1 96 meets 95; c2 k1 90 misses; c1 k2 4 days misses 3 (lower is better): 2 of 3.
    assert (s["kpis_missing_benchmark"]["value"], s["kpis_missing_benchmark"]["of"]) == (2, 3)
    # c2 k1 reported 5 Nov, 36 days after 30 Sep: 1 of 3 late.
    assert (s["mi_late"]["value"], s["mi_late"]["of"], s["mi_late"]["status"]) == (1, 3, "not_met")
    # 3.3 central + 0.7 departmental = 4.0 to date.
    assert s["costs_against_estimate"]["value"] == 4.0


def test_a_value_before_go_live_is_not_counted_against_its_benchmark(pack):
    # c2 k1 (line 3 of kpi_values) treated as reported before its centre went live: 1 of 2 missed,
    # but its lateness still counts (1 of 3 late).
    s = by_signal(pack, "B", before_go_live=[3])
    assert (s["kpis_missing_benchmark"]["value"], s["kpis_missing_benchmark"]["of"]) == (1, 2)
    assert (s["mi_late"]["value"], s["mi_late"]["of"]) == (1, 3)


def test_nothing_to_judge_is_not_assessed_never_met(pack):
    s = by_signal(pack, "C", cost_high=None)  # no KPI values for C; no estimate given
    for name in ("kpis_missing_benchmark", "mi_late", "costs_against_estimate"):
        assert s[name]["status"] == "not_assessed", name


def test_costs_above_the_estimate_are_not_met_even_when_incomplete(pack):
    # 4.0 to date at B, with returns not collated: above a high end of 3.9 whatever the missing ones hold.
    assert by_signal(pack, "B", cost_high=3.9)["costs_against_estimate"]["status"] == "not_met"
    assert by_signal(pack, "B", cost_high=4.0)["costs_against_estimate"]["status"] == "met_incomplete"


def test_thresholds_come_from_programme_yaml_where_it_sets_them(pack):
    thresholds = {**pack.programme["thresholds"], "recommendations_overdue_share_amber": 0.7}
    s = by_signal(pack, "B", thresholds=thresholds)
    assert (s["recommendations_overdue"]["threshold"], s["recommendations_overdue"]["status"]) == (0.7, "met")
    assert s["onboarding_overdue"]["threshold"] == SIGNAL_DEFAULTS["onboarding_overdue_bodies"] == 0


def test_the_signals_table_states_rule_threshold_value_and_met(pack):
    shown = {r["Signal"]: r for r in rows(S.signals_table(context(pack, "B")))}
    assert list(shown) == [
        "Overdue onboarding",
        "Overdue recommendations",
        "Costs against the estimate",
        "KPIs missing their benchmark",
        "Late management information (MI)",
    ]
    assert shown["Overdue recommendations"]["This period"] == "2 of 3 open recommendations overdue (66.7%)"
    assert "below 25.0%" in shown["Overdue recommendations"]["Rule and threshold"]
    assert shown["Overdue onboarding"]["This period"] == "1 of 5 bodies overdue"
    assert shown["Costs against the estimate"]["This period"] == "at least £4.0 million to date"
    assert "£95.0 million" in shown["Costs against the estimate"]["Rule and threshold"]
    assert shown["Costs against the estimate"]["Threshold met"].startswith("Met on the returns collated")
    assert (
        shown["KPIs missing their benchmark"]["This period"] == "2 of 3 benchmarked KPI values missed their benchmark"
    )
    assert (
        shown["Late management information (MI)"]["This period"]
        == "1 of 3 KPI values reported late; 1 without a reporting date"
    )
    assert "more than 30 days" in shown["Late management information (MI)"]["Rule and threshold"]
    assert {r["Threshold met"] for r in shown.values()} == {
        "Not met",
        "Met on the returns collated; the total is incomplete",
    }


def test_no_rating_of_our_own_and_the_official_one_says_who_and_when(pack):
    ctx = context(pack, "B")
    colour = re.compile(r"\b(green|amber|red)\b", re.I)
    for section in (S.signals_table, S.headlines, S.summary_text):
        words = text(section(ctx))
        assert "derived rating" not in words.lower() and not colour.search(words), section.__name__
    # The key facts name a colour only in the official rating's row.
    coloured = [r for r in rows(S.key_facts(ctx)) if colour.search(" ".join(r.values()))]
    assert [r["What it is"].startswith("official delivery confidence rating") for r in coloured] == [True]
    # B has no rating of its own: the latest, A's, with who gave it and as at when.
    rating = official_rating(pack.tables["delivery_confidence"], pack.tables["periods"], period(pack, "B"))
    assert (rating["rating"], rating["period_id"], rating["as_at"]) == ("amber", "A", pd.Timestamp("2014-06-30"))
    (row,) = rows(S.delivery_confidence(ctx))
    assert row["Official rating"] == "Amber"
    assert "given by Major Projects Authority for 2014-15 Q1, as at 30 June 2014" in row["Given by and when"]
    assert "none for this period" in row["Given by and when"]
    assert row["Source"] == "Data pack, delivery_confidence.csv"


def test_the_official_rating_source_column_is_shown_when_the_pack_has_one(pack, tmp_path):
    folder = tmp_path / "pack"
    shutil.copytree(HAND, folder)
    (folder / "delivery_confidence.csv").write_text(
        "period_id,rating,assessor,source\nB,amber_red,Major Projects Authority,MPA annual report 2014\n",
        encoding="utf-8",
    )
    with_source = load_pack(folder)
    if "source" not in with_source.tables["delivery_confidence"].columns:
        pytest.skip("the data contract has no source column for delivery_confidence")
    (row,) = rows(S.delivery_confidence(context(with_source, "B")))
    assert row["Source"] == "MPA annual report 2014" and row["Official rating"] == "Amber/red"


def test_key_facts_give_denominators(pack):
    facts = {r["What it is"]: r["Figure"] for r in rows(S.key_facts(context(pack, "B")))}
    # B: 5 recommendations made, r5 superseded: 1 (r1) implemented of 4 in force.
    assert facts["recommendations in force implemented (5 recommendations made; 1 superseded)"] == "1 of 4"
    assert facts["participating bodies onboarded; 1 body overdue against plan"] == "2 of 5"
    assert (
        facts["implementation costs to 30 September 2014; departmental costs of 2 bodies not collated"]
        == "at least £4.0 million"
    )
    assert (
        facts[
            "official delivery confidence rating (given by Major Projects Authority for 2014-15 Q1, as at 30 June 2014)"
        ]
        == "Amber"
    )
