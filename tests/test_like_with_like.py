"""Like with like, and savings by evidence (issue 10, items 4 and 5): hand-worked on tests/fixtures/hand_pack.

Hand pack (periods A Apr-Jun 2014, B Jul-Sep 2014, C Oct-Dec 2014):
savings: A b1 shared 1.0 sufficient; A b1 reduced 0.5 partial; B b2 shared -0.3 insufficient (a
dis-saving); B b3 unattributed 0.2; B b1 shared not collated; C b1 shared forecast 4.0; C b1
shared 9.0 sufficient. costs: B b1 central forecast 0.4 beside B b1 central actual 2.2; C b1
central forecast 5.0 with no actual central row in C. estimates: e1 annual 400-600 (Dec 2012),
e2 annual 350-500 (15 Aug 2014), e3 cost 44-95 (Dec 2012), e4 cumulative 484 two centres (1 Oct 2014).
"""

from __future__ import annotations

import re
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


# -- the section as a reviewer reads it, on the hand pack and the sample pack


def _shown(output) -> tuple[str, dict]:
    """Visible text of a section output (figure marks dropped, alt texts kept) and its register entries."""
    from bs4 import BeautifulSoup

    from audit_pipeline.report.register import METADATA_KEY, plain

    data = output._repr_html_()
    html, metadata = data if isinstance(data, tuple) else (data, {})
    soup = BeautifulSoup(html, "html.parser")
    text = " ".join([soup.get_text(" ")] + [img.get("alt", "") for img in soup.find_all("img")])
    text = re.sub(r"\s+", " ", plain(text))
    text = re.sub(r"\( ", "(", re.sub(r" ([).,;:])", r"\1", text))
    return text, {e["id"]: e for e in metadata.get(METADATA_KEY, [])}


def _rows(output) -> list[list[str]]:
    from bs4 import BeautifulSoup

    from audit_pipeline.report.register import plain

    soup = BeautifulSoup(output.data, "html.parser")
    return [[plain(c.get_text(" ", strip=True)) for c in tr.find_all(["th", "td"])] for tr in soup.select("tbody tr")]


@pytest.fixture(scope="module")
def hand():
    from audit_pipeline.report.context import load_context

    return {p: load_context(HAND, p) for p in ("A", "B", "C")}


def test_savings_against_estimates_set_like_against_like(hand):
    from audit_pipeline.report.sections import costs

    text, _ = _shown(costs.savings_against_estimates(hand["B"]))
    # no cumulative estimate before 1 October 2014; A and B are six months, so no annual rate
    assert "Programme savings to date were at least £0.7 million; no cumulative savings estimate was in force" in text
    assert (
        "The annual savings estimate in force, £350 million to £500 million a year (whole strategy), cannot yet" in text
    )
    text, entries = _shown(costs.savings_against_estimates(hand["C"]))
    assert (
        "Programme savings to date were at least £9.7 million, against the cumulative savings estimate in force of "
        "£484 million by 2023-24 (two centres, made on 1 October 2014)."
    ) in text
    assert "savings.annualised_run_rate" not in entries


def test_the_savings_tile_never_sets_a_total_against_an_annual_estimate(hand):
    from audit_pipeline.report.sections import summary

    text, _ = _shown(summary.headlines(hand["B"]))
    assert "Annual estimate £350 million to £500 million a year (whole strategy): not comparable until twelve" in text
    assert "Estimate: £350 million" not in text
    text, _ = _shown(summary.headlines(hand["C"]))
    assert "Cumulative estimate: £484 million by 2023-24 (two centres)." in text


def test_net_position_at_least_or_not_made(hand):
    from audit_pipeline.report.sections import costs

    # A: savings 1.0 (complete) against costs 1.1 central + departmental not collated (at least 1.1)
    text, _ = _shown(costs.net_position(hand["A"]))
    assert text.strip() == (
        "Net position: programme savings to date (£1 million) were less than implementation costs to date "
        "(at least £1.1 million): the costs not yet collated can only widen the gap."
    )
    # B: savings at least 0.7 (b1 not collated) against costs at least 4.0: which is larger is not known
    text, _ = _shown(costs.net_position(hand["B"]))
    assert (
        "(at least £0.7 million) cannot yet be set against implementation costs to date (at least £4 million)" in text
    )
    assert "returns of savings and costs not yet collated could change which is larger" in text


def test_evidence_table_and_dis_savings(hand):
    from audit_pipeline.report.sections import costs

    shown = costs.evidence_table(hand["C"])
    assert _rows(shown) == [
        ["Sufficient evidence", "10.0", "2"],
        ["Partial evidence", "0.0", "0"],
        ["Insufficient evidence", "-0.3", "1"],
        ["Not graded", "0.0", "0"],
        ["Not collated (amount and grading not known)", "not collated", "1"],
        ["Programme savings to date", "at least 9.7", ""],
    ]
    text, entries = _shown(shown)
    assert "They are net of 1 dis-saving (a negative saving) of -£0.3 million." in text
    sufficient = entries["savings.programme_by_evidence.sufficient"]
    assert sufficient["metric"] == "savings.programme_by_evidence_gbp_m.sufficient"
    assert sufficient["inputs"][0]["lines"] == [2, 8]  # savings.csv: A b1 1.0 and C b1 9.0
    assert entries["savings.programme_by_evidence.insufficient"]["inputs"][0]["lines"] == [4]
    assert _rows(costs.dis_savings_table(hand["B"])) == [["2014-15 Q2", "Body Two", "-0.3", "Insufficient", ""]]
    text, _ = _shown(costs.dis_savings_table(hand["A"]))
    assert "No dis-savings (negative programme savings) are recorded up to 2014-15 Q1." in text


def test_forecast_table_only_where_pairs_exist(hand):
    from audit_pipeline.report.sections import costs

    text, _ = _shown(costs.forecast_table(hand["A"]))
    assert "The pack holds no forecast and actual amounts for the same period and body up to 2014-15 Q1" in text
    assert _rows(costs.forecast_table(hand["C"])) == [
        ["Central programme costs", "2014-15 Q2", "Body One", "0.4", "2.2", "Above forecast"],
        ["Programme savings (shared services)", "2014-15 Q3", "Body One", "4.0", "9.0", "Above forecast"],
    ]


def test_estimate_history_table_and_step_chart(hand):
    from audit_pipeline.report.sections import costs

    rows = _rows(costs.estimate_history_table(hand["B"]))
    assert [r[:3] for r in rows] == [
        ["Annual savings (whole strategy)", "400.0", "600.0"],
        ["Annual savings (whole strategy)", "350.0", "500.0"],
        ["Implementation cost (whole strategy)", "44.0", "95.0"],
    ]
    assert [r[3:] for r in rows] == [
        ["1 December 2012", "First estimate", "Replaced on 15 August 2014", "strategy"],
        ["15 August 2014", "First revision", "In force", "revised"],
        ["1 December 2012", "First estimate", "In force", "strategy"],
    ]
    text, entries = _shown(costs.estimate_chart(hand["B"]))
    assert (
        "Annual savings, whole strategy: £400 million to £600 million from 1 December 2012; then £350 million" in text
    )
    assert "£484 million" not in text  # e4 was made after B's end
    assert entries["chart.estimates.e2.low"]["value"] == 350.0
    assert entries["chart.estimates.e2.low"]["inputs"][0]["lines"] == [3]


def test_costs_chart_draws_the_total(hand):
    from audit_pipeline.report.sections import costs

    text, entries = _shown(costs.cost_chart(hand["B"]))
    # total to B: 1.1 + 2.2 central + 0.7 departmental = 4.0, b2 and b3 not collated; at A no departmental
    # return was collated, so no total is drawn there
    assert entries["chart.costs.total.B"]["value"] == 4.0 and entries["chart.costs.total.B"]["complete"] is False
    assert "chart.costs.total.A" not in entries
    assert "total: at least £4 million" in text
    assert "The total is drawn only where both types have a collated return" in text


@pytest.fixture(scope="module")
def sample():
    from audit_pipeline.report.context import load_context
    from audit_pipeline.settings import DEFAULT_DATA

    return {p: load_context(DEFAULT_DATA, p) for p in ("2013-14-Q4", "2015-16-Q4")}


def test_sample_pack_summary_states_evidence_and_run_rate(sample):
    from audit_pipeline.report.sections import summary

    text, entries = _shown(summary.summary_text(sample["2015-16-Q4"]))
    assert (
        "£41.3 million was supported by sufficient evidence, £24.6 million by partial evidence and £11.4 million by "
        "insufficient evidence; £12.7 million had not been graded. They are net of 1 dis-saving (a negative saving) "
        "of -£0.6 million."
    ) in text
    assert "Annualised from the four quarters to 31 March 2016 (2015-16 Q1 to 2015-16 Q4)" in text
    assert "against the cumulative savings estimate in force of £484 million by 2023-24" in text
    assert "the annual savings estimate in force is" not in text
    assert entries["savings.annualised_run_rate"]["complete"] is False  # 2015-16 Q4 has a return not collated
    text, _ = _shown(summary.headlines(sample["2013-14-Q4"]))
    # 2013-14 Q1 to Q4 programme savings: 3.2, against the annual estimate; never "£3.2 million ... a year" as a total
    assert (
        "Annualised over the four quarters to 31 March 2014: £3.2 million a year, against an annual estimate of £400"
        in text
    )


def test_sample_pack_forecast_pairs(sample):
    from audit_pipeline.report.sections import costs

    text, _ = _shown(costs.forecast_table(sample["2013-14-Q4"]))
    assert "The pack holds no forecast and actual amounts" in text
    rows = _rows(costs.forecast_table(sample["2015-16-Q4"]))
    assert len(rows) == 12 and rows[0][:2] == ["Central programme costs", "2014-15 Q1"]
