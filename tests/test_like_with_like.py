"""Like with like, and savings by evidence (issue 10, items 4 and 5): hand-worked on tests/fixtures/hand_pack.

Hand pack (periods A Apr-Jun 2014, B Jul-Sep 2014, C Oct-Dec 2014):
savings: A b1 shared 1.0 sufficient; A b1 reduced 0.5 partial; B b2 shared -0.3 insufficient (a
dis-saving); B b3 unattributed 0.2; B b1 shared not collated; C b1 shared forecast 4.0; C b1
shared 9.0 sufficient. costs: B b1 central forecast 0.4 beside B b1 central actual 2.2; C b1
central forecast 5.0 with no actual central row in C. estimates: e1 annual 400-600 (Dec 2012),
e2 annual 350-500 (15 Aug 2014), e3 cost 44-95 (Dec 2012), e4 cumulative 484 two centres (1 Oct 2014).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit_pipeline.measures import estimates, finance
from audit_pipeline.measures import periods as P
from audit_pipeline.pack.load import load_pack

HAND = Path(__file__).parent / "fixtures" / "hand_pack"


@pytest.fixture(scope="module")
def pack():
    return load_pack(HAND)


def at(pack, period_id):
    return P.period_of(pack.tables["periods"], period_id)


def split(pack, period_id) -> dict:
    t = pack.tables
    frame = finance.evidence_split(t["savings"], t["periods"], at(pack, period_id))
    return {r["evidence_level"]: (r["amount_gbp_m"], r["rows"]) for _, r in frame.iterrows()}


def test_evidence_split_of_programme_savings(pack):
    # C: sufficient 1.0 (A) + 9.0 (C) = 10.0 over 2 rows; insufficient -0.3 (the dis-saving, with
    # its sign); partial: the only partial row is reduced activity, not programme savings -> 0;
    # ungraded: no shared_services actual row without a grading (B3's is unattributed) -> 0;
    # the not-collated B row and the C forecast are in no level.
    assert split(pack, "C") == {
        "sufficient": (10.0, 2),
        "partial": (0.0, 0),
        "insufficient": (-0.3, 1),
        "ungraded": (0.0, 0),
    }
    # A: only the 1.0 sufficient row exists yet
    assert split(pack, "A")["sufficient"] == (1.0, 1) and split(pack, "A")["insufficient"] == (0.0, 0)
    # the levels add up to programme savings to date (9.7)
    assert round(sum(v for v, _ in split(pack, "C").values()), 6) == 9.7


def test_ungraded_is_an_empty_evidence_level(pack):
    t = pack.tables
    extra = pd.DataFrame(
        [{"period_id": "C", "body_id": "b2", "attribution": "shared_services", "amount_gbp_m": 0.8, "status": "actual"}]
    )
    savings = pd.concat([t["savings"], extra], ignore_index=True)
    savings["_line"] = range(2, len(savings) + 2)
    frame = finance.evidence_split(savings, t["periods"], at(pack, "C"))
    assert frame.set_index("evidence_level").loc["ungraded"].to_dict() == {"amount_gbp_m": 0.8, "rows": 1}


def test_dis_savings_are_the_negative_programme_rows(pack):
    t = pack.tables
    assert finance.dis_savings(t["savings"], t["periods"], at(pack, "A")).empty
    rows = finance.dis_savings(t["savings"], t["periods"], at(pack, "C"))
    assert rows[["period_id", "body_id", "amount_gbp_m"]].values.tolist() == [["B", "b2", -0.3]]
    s = finance.savings_figures(t["savings"], t["periods"], at(pack, "C"))
    assert (s["dis_savings_rows"], s["dis_savings_gbp_m"]) == (1, -0.3)
    assert s["programme_by_evidence_gbp_m"] == {
        "sufficient": 10.0,
        "partial": 0.0,
        "insufficient": -0.3,
        "ungraded": 0.0,
    }


def test_no_run_rate_before_twelve_months_are_recorded(pack):
    # the year to C's end (31 Dec 2014) starts 1 Jan 2014; the first period starts 1 April 2014
    t = pack.tables
    assert finance.run_rate(t["savings"], t["periods"], at(pack, "C")) is None
    assert finance.savings_figures(t["savings"], t["periods"], at(pack, "C"))["annualised_run_rate_gbp_m"] is None


def test_run_rate_is_the_twelve_months_to_the_end(pack):
    # add a period D (Jan-Mar 2015) and a 2.0 saving: the year to 31 March 2015 is A, B, C and D;
    # shared services actual: 1.0 - 0.3 + 9.0 + 2.0 = 11.7; B's not-collated row makes it "at least"
    t = pack.tables
    periods = pd.concat(
        [
            t["periods"],
            pd.DataFrame(
                [
                    {
                        "period_id": "D",
                        "label": "2014-15 Q4",
                        "start_date": pd.Timestamp("2015-01-01"),
                        "end_date": pd.Timestamp("2015-03-31"),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    row = {"period_id": "D", "body_id": "b1", "attribution": "shared_services", "amount_gbp_m": 2.0, "status": "actual"}
    savings = pd.concat([t["savings"], pd.DataFrame([row])], ignore_index=True)
    rate = finance.run_rate(savings, periods, P.period_of(periods, "D"))
    assert rate == {"period_ids": ["A", "B", "C", "D"], "amount_gbp_m": 11.7, "actual_rows": 4, "not_collated_rows": 1}
    # without A the periods do not reach back a year; without C the year has a gap: no run rate
    for gone in ("A", "C"):
        assert finance.run_rate(savings, periods[periods["period_id"] != gone], P.period_of(periods, "D")) is None


def test_forecast_against_actual_pairs_by_period_body_and_type(pack):
    t = pack.tables
    assert finance.forecast_against_actual(t["costs"], t["savings"], t["periods"], at(pack, "A")).empty
    frame = finance.forecast_against_actual(t["costs"], t["savings"], t["periods"], at(pack, "C"))
    # B b1 central: forecast 0.4, actual 2.2; C b1 shared services: forecast 4.0, actual 9.0;
    # C's central forecast 5.0 has no actual central row in C (C's 3.0 is departmental, b2): no pair
    assert frame.values.tolist() == [
        ["costs", "central_programme", "B", ("b1",), 0.4, 2.2],
        ["savings", "shared_services", "C", ("b1",), 4.0, 9.0],
    ]
    # at B the C pair does not exist yet
    assert len(finance.forecast_against_actual(t["costs"], t["savings"], t["periods"], at(pack, "B"))) == 1


def test_estimate_history_first_and_revisions_made_by_the_end(pack):
    t = pack.tables
    history = estimates.estimate_history(t["estimates"], at(pack, "B").end)
    # e4 (1 October 2014) was made after B's end (30 September 2014): not in B's history
    assert list(history["estimate_id"]) == ["e1", "e2", "e3"]
    assert list(history["revision"]) == [0, 1, 0]
    assert list(history["in_force"]) == [False, True, True]
    assert [d.date().isoformat() for d in history["until"]] == ["2014-08-15", "2014-09-30", "2014-09-30"]
    later = estimates.estimate_history(t["estimates"], at(pack, "C").end)
    assert list(later["estimate_id"]) == ["e1", "e2", "e4", "e3"]


@pytest.mark.parametrize(
    ("savings", "s_state", "costs", "c_state", "expected"),
    [
        (9.7, "complete", 8.0, "complete", "savings_above"),
        (3.0, "complete", 8.0, "at_least", "savings_below"),  # costs can only be higher
        (9.7, "complete", 8.0, "at_least", "cannot_compare"),  # costs might pass savings
        (9.7, "at_least", 8.0, "complete", "savings_above"),  # savings can only be higher
        (3.0, "at_least", 8.0, "complete", "cannot_compare"),
        (3.0, "at_least", 8.0, "at_least", "cannot_compare"),
        (3.0, "complete", 0.0, "not_collated", "cannot_compare"),
        (5.0, "complete", 5.0, "complete", "equal"),
        (5.0, "complete", 5.0, "at_least", "cannot_compare"),
    ],
)
def test_net_position_says_only_what_the_data_allow(savings, s_state, costs, c_state, expected):
    assert finance.net_position(savings, s_state, costs, c_state) == expected


def test_sample_pack_evidence_at_2015_16_q4():
    """The issue's figures: £41.3m sufficient, £24.6m partial, £11.4m insufficient, £12.7m ungraded,
    and the one dis-saving (-£0.6 million, Home Office, 2014-15 Q1)."""
    from audit_pipeline.settings import DEFAULT_DATA

    sample = load_pack(DEFAULT_DATA)
    t = sample.tables
    s = finance.savings_figures(t["savings"], t["periods"], P.period_of(t["periods"], "2015-16-Q4"))
    assert s["programme_by_evidence_gbp_m"] == {
        "sufficient": 41.3,
        "partial": 24.6,
        "insufficient": 11.4,
        "ungraded": 12.7,
    }
    assert (s["dis_savings_rows"], s["dis_savings_gbp_m"]) == (1, -0.6)
    rows = finance.dis_savings(t["savings"], t["periods"], P.period_of(t["periods"], "2015-16-Q4"))
    assert rows[["period_id", "body_id"]].values.tolist() == [["2014-15-Q1", "home-office"]]
