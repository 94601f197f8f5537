"""Every key figure against hand computation on tests/fixtures/hand_pack.

The fixture is small enough to work out on paper; the comments give the working.
Periods: A (Apr-Jun 2014), B (Jul-Sep 2014), C (Oct-Dec 2014), listed out of order in the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit_pipeline.measures import finance, onboarding, recommendations, service
from audit_pipeline.measures import periods as P
from audit_pipeline.measures.summary import key_figures, official_rating
from audit_pipeline.pack.load import load_pack
from audit_pipeline.report.narrative import executive_summary
from audit_pipeline.report.register.core import Register, plain

HAND = Path(__file__).parent / "fixtures" / "hand_pack"


@pytest.fixture(scope="module")
def pack():
    return load_pack(HAND)


def figures(pack, period_id):
    return key_figures(pack, P.period_of(pack.tables["periods"], period_id))


def test_latest_period_is_by_start_date_not_file_order(pack):
    assert P.period_of(pack.tables["periods"], None).period_id == "C"
    assert P.previous_period(pack.tables["periods"], P.period_of(pack.tables["periods"], "B")).period_id == "A"
    assert P.previous_period(pack.tables["periods"], P.period_of(pack.tables["periods"], "A")) is None


def test_unknown_period_lists_the_valid_ones(pack):
    with pytest.raises(Exception, match="A, B, C"):
        P.period_of(pack.tables["periods"], "Z")


def test_costs_at_b(pack):
    # central actual up to B: 1.1 (A) + 2.2 (B); the B forecast 0.4 never enters a to-date sum
    # departmental actual: 0.7 (B); not collated: b2 (A) and b3 (B) -> 2 bodies
    # forecast after B: C central forecast 5.0 (C's 3.0 is actual, so not a forecast)
    assert figures(pack, "B")["costs"] == {
        "central_programme_to_date_gbp_m": 3.3,
        "departmental_to_date_gbp_m": 0.7,
        "departmental_not_collated_bodies": 2,
        "forecast_gbp_m": 5.0,
    }


def test_costs_at_a_count_later_forecasts(pack):
    # forecast rows in periods after A: 0.4 (B) + 5.0 (C)
    assert figures(pack, "A")["costs"] == {
        "central_programme_to_date_gbp_m": 1.1,
        "departmental_to_date_gbp_m": 0.0,
        "departmental_not_collated_bodies": 1,
        "forecast_gbp_m": 5.4,
    }


def test_savings_keep_attributions_apart(pack):
    # shared services: 1.0 (A) - 0.3 (B, a dis-saving); reduced activity 0.5; unattributed 0.2
    assert figures(pack, "B")["savings"] == {
        "shared_services_to_date_gbp_m": 0.7,
        "reduced_activity_to_date_gbp_m": 0.5,
        "unattributed_to_date_gbp_m": 0.2,
        "not_collated_rows": 1,
        # by evidence level: programme (shared services) rows only, the dis-saving with its sign
        "programme_by_evidence_gbp_m": {"sufficient": 1.0, "partial": 0.0, "insufficient": -0.3, "ungraded": 0.0},
        "dis_savings_rows": 1,
        "dis_savings_gbp_m": -0.3,
        "annualised_run_rate_gbp_m": None,  # A to B is six months, not a year
    }
    # at C the 9.0 actual enters and the 4.0 forecast does not
    assert figures(pack, "C")["savings"]["shared_services_to_date_gbp_m"] == 9.7


def test_estimates_in_force(pack):
    # at B (end 30 Sep) the 15 Aug revision replaces the Dec 2012 savings estimate; e4 (Oct) is not yet made
    assert figures(pack, "B")["estimates"] == [
        {
            "measure": "annual_savings",
            "scope": "whole strategy",
            "low_gbp_m": 350.0,
            "high_gbp_m": 500.0,
            "as_at": "2014-08-15",
        },
        {
            "measure": "implementation_cost",
            "scope": "whole strategy",
            "low_gbp_m": 44.0,
            "high_gbp_m": 95.0,
            "as_at": "2012-12-01",
        },
    ]
    at_a = figures(pack, "A")["estimates"]
    assert at_a[0]["low_gbp_m"] == 400.0
    assert [e["measure"] for e in figures(pack, "C")["estimates"]] == [
        "annual_savings",
        "cumulative_savings",
        "implementation_cost",
    ]


def test_estimate_changes_flag_the_revision(pack):
    periods = pack.tables["periods"]
    b, a = P.period_of(periods, "B"), P.period_of(periods, "A")
    changes = finance.estimate_changes(pack.tables["estimates"], b, a).set_index("measure")
    assert bool(changes.loc["annual_savings", "changed"]) is True
    assert changes.loc["annual_savings", "low_gbp_m_previous"] == 400
    assert bool(changes.loc["implementation_cost", "changed"]) is False


def test_onboarding_at_b(pack):
    # end 30 Sep: b1 (20 May) and b2 (1 Aug) onboarded; b3 planned 30 Sep, not onboarded -> overdue
    # SOM over the onboarded only: b1 adopted, b2 adopted with variations; b3, b4 and b5 (onboarded
    # 15 Nov, in C) have no status yet -> som_not_onboarded 3; the five som_* add up to 5 bodies.
    assert figures(pack, "B")["onboarding"] == {
        "bodies": 5,
        "onboarded": 2,
        "overdue": 1,
        "customers_served": 3000,
        "som_adopted": 1,
        "som_adopted_with_variations": 1,
        "som_not_adopted": 0,
        "som_not_assessed": 0,
        "som_not_onboarded": 3,
    }


def test_som_at_c_counts_the_body_onboarded_in_c(pack):
    # end 31 Dec: b5 (adopted) onboarded 15 Nov joins b1 (adopted) and b2; b3 and b4 not onboarded
    ob = figures(pack, "C")["onboarding"]
    som = [
        ob[f"som_{s}"] for s in ("adopted", "adopted_with_variations", "not_adopted", "not_assessed", "not_onboarded")
    ]
    assert som == [2, 1, 0, 0, 2] and sum(som) == ob["bodies"]
    table = onboarding.som_table(pack.tables["bodies"], P.period_of(pack.tables["periods"], "C"))
    assert list(table["bodies"]) == som and list(table["variations"].iloc[:4]) == [0, 2, 0, 0]
    assert pd.isna(table["variations"].iloc[4])


def test_onboarding_at_a(pack):
    # end 30 Jun: only b1; b2 was planned for 15 Jun and is not yet onboarded -> overdue
    ob = figures(pack, "A")["onboarding"]
    assert (ob["onboarded"], ob["overdue"], ob["customers_served"]) == (1, 1, 1000)


def test_onboarding_slippage_and_derived_rating(pack):
    period = P.period_of(pack.tables["periods"], "B")
    table = onboarding.onboarding_table(pack.tables["bodies"], period, pack.programme["thresholds"]).set_index(
        "body_id"
    )
    # b1: 19 days late (< 30 amber) ; b2: 47 days late (>= 30 amber, < 60 red)
    assert table.loc["b1", "slip_days"] == 19 and table.loc["b1", "rating"] == "within"
    assert table.loc["b2", "slip_days"] == 47 and table.loc["b2", "rating"] == "amber"
    # b3: planned 30 Sep = End, not onboarded: overdue (0 days so far), never rated on slip
    assert table.loc["b3", "slip_days"] == 0 and not table.loc["b3", "onboarded"]
    assert table.loc["b3", "state"] == "overdue" and table.loc["b3", "rating"] == "overdue"
    assert onboarding.rating_words("overdue", 0) == "Overdue, 0 days"
    assert table.loc["b4", "rating"] == "unplanned"
    assert table.loc["b5", "rating"] == "pending"  # planned for December, not yet due
    assert pd.isna(table.loc["b5", "actual_onboard_date"])  # onboarded in C: not yet at B


def test_recommendations_at_b(pack):
    # r1 implemented (row A: not reassessed), r2 in progress with target revised to 31 Aug (< 30 Sep: overdue),
    # r3 no rows -> not started, no target; r4 in progress (row A: not reassessed), target 1 Sep -> overdue;
    # r5 superseded in B. Rate = 1 / (5 - 1).
    assert figures(pack, "B")["recommendations"] == {
        "total": 5,
        "not_started": 1,
        "in_progress": 2,
        "implemented": 1,
        "superseded": 1,
        "not_implemented": 0,
        "implementation_rate": 0.25,
        "overdue": 2,
        "reported_not_confirmed": 0,
        "not_reassessed": 2,
        "by_source": {"NAO 2014": {"total": 2, "implemented": 0}, "PAC 2012": {"total": 3, "implemented": 1}},
    }


def test_recommendations_at_a(pack):
    # r2 reported implemented but assessed in progress; r5 (target 1 May) not started and overdue
    rec = figures(pack, "A")["recommendations"]
    assert (rec["implemented"], rec["in_progress"], rec["not_started"], rec["superseded"]) == (1, 2, 2, 0)
    assert rec["implementation_rate"] == 0.2
    assert (rec["overdue"], rec["reported_not_confirmed"], rec["not_reassessed"]) == (1, 1, 0)


def test_revisions_and_changes_since_previous(pack):
    t = pack.tables
    periods = t["periods"]
    a, b = P.period_of(periods, "A"), P.period_of(periods, "B")
    revised = recommendations.revisions(t["recommendations"], t["recommendation_status"], periods, b)
    assert list(revised["rec_id"]) == ["r2"]
    assert revised.loc[0, "revision_reason"] == "Delayed by onboarding"
    assert revised.loc[0, "original_target_date"] == pd.Timestamp("2015-03-31")
    now = recommendations.tracker(t["recommendations"], t["recommendation_status"], periods, b)
    before = recommendations.tracker(t["recommendations"], t["recommendation_status"], periods, a)
    changed = recommendations.changes_since(now, before)
    assert list(zip(changed["rec_id"], changed["previous_status"], changed["status"], strict=True)) == [
        ("r5", "not_started", "superseded")
    ]


def test_service_figures_at_b(pack):
    # c1 in B: t1 (3 days, sla 5), t2 (15, sla 10), t3 open, t4 (5, sla 5: within, boundary) -> 2 of 4 within;
    # median of 3, 15, 5 = 5; open at 30 Sep: t3 and t8 (from A). c2: t5 25 days within 30, completed after End.
    assert figures(pack, "B")["service"] == {
        "c1": {"volume": 4, "within_sla_share": 0.5, "median_days_to_complete": 5.0, "open_at_end": 2},
        "c2": {"volume": 1, "within_sla_share": 1.0, "median_days_to_complete": 25.0, "open_at_end": 1},
    }


def test_service_figures_at_a_with_an_idle_centre(pack):
    # c1 in A: t6 (25 days > sla 10, completed after End) and t8 (open) -> 0 within; both open at 30 Jun.
    # c2 received nothing in A: volume 0, share and median undefined (null), not zero.
    assert figures(pack, "A")["service"] == {
        "c1": {"volume": 2, "within_sla_share": 0.0, "median_days_to_complete": 25.0, "open_at_end": 2},
        "c2": {"volume": 0, "within_sla_share": None, "median_days_to_complete": None, "open_at_end": 0},
    }


def test_service_without_transactions_is_empty():
    period = P.Period("x", "x", pd.Timestamp("2014-01-01"), pd.Timestamp("2014-03-31"))
    assert service.service_figures(None, period) == {}


def test_kpis_against_benchmarks_and_late_mi(pack):
    t = pack.tables
    b = P.period_of(t["periods"], "B")
    table = service.kpi_table(t["kpis"], t["kpi_values"], b, pack.programme["thresholds"]["mi_late_days"])
    rows = {(r.centre_id, r.kpi_id): r for r in table.itertuples()}
    assert rows[("c1", "k1")].against_benchmark == "Meets benchmark"
    assert rows[("c2", "k1")].against_benchmark == "Misses benchmark"
    assert rows[("c1", "k2")].against_benchmark == "Misses benchmark"  # 4 days, lower is better, benchmark 3
    # reported 15 Oct = 15 days after 30 Sep: on time; 5 Nov = 36 days: late; no date: said so
    assert rows[("c1", "k1")].timeliness == "On time"
    assert rows[("c2", "k1")].timeliness.startswith("Late")
    assert rows[("c1", "k2")].timeliness == "Date not reported"


def test_official_rating_falls_back_to_latest_earlier(pack):
    t = pack.tables
    rating = official_rating(t["delivery_confidence"], t["periods"], P.period_of(t["periods"], "B"))
    assert rating["rating"] == "amber" and rating["period_id"] == "A" and rating["current"] is False


def test_executive_summary_says_at_least_and_keeps_attributions_apart(pack):
    period = P.period_of(pack.tables["periods"], "B")
    text = plain(" ".join(executive_summary(pack, period, figures(pack, "B"), Register(pack, period))))
    assert "at least £4 million (2 bodies' costs not collated)" in text
    assert "£44 million to £95 million" in text
    assert "£0.7 million" in text and "£350 million to £500 million a year" in text
    assert "£0.5 million from reduced activity" in text and "not counted as programme savings" in text
    assert "2 of 5 participating bodies" in text


def test_money_sums_have_no_float_noise():
    assert P.money_sum(pd.Series([0.1, 0.2])) == 0.3
    assert P.money_sum(pd.Series([1.5, 1.8, 2.0, 2.0, 2.5])) == 9.8
    assert P.money_sum(pd.Series([float("nan")])) == 0.0
