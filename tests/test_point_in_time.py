"""Point-in-time truth and one truth per fact (issue 10, items 1 and 2).

Nothing appears in a period's report before it existed: a recommendation made after
the period's end is in no count, table, chart or sentence; the standard operating
model is counted over bodies onboarded by the end. Each body's onboarding state comes
from one rule, and every count the summary quotes equals what the tables of the same
report show, for every period of the sample pack. The section functions are called
directly (they are what the notebooks call), so no kernel is needed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from audit_pipeline.measures import onboarding, recommendations
from audit_pipeline.measures import periods as P
from audit_pipeline.measures.summary import key_figures
from audit_pipeline.pack.load import load_pack
from audit_pipeline.report.context import Context
from audit_pipeline.report.sections import onboarding as onboarding_section
from audit_pipeline.report.sections import recommendations as recommendations_section
from audit_pipeline.report.sections import service as service_section
from audit_pipeline.report.sections import summary as summary_section

ROOT = Path(__file__).resolve().parent.parent
NGSS = ROOT / "data" / "ngss"
HAND = Path(__file__).parent / "fixtures" / "hand_pack"
SOM_KEYS = ("som_adopted", "som_adopted_with_variations", "som_not_adopted", "som_not_assessed", "som_not_onboarded")


@pytest.fixture(scope="module")
def ngss():
    return load_pack(NGSS)


def context(pack, period_id: str) -> Context:
    periods = pack.tables["periods"]
    period = P.period_of(periods, period_id)
    return Context(pack, period, P.previous_period(periods, period))


def html_of(shown) -> BeautifulSoup:
    return BeautifulSoup(shown.data, "html.parser")


def table_rows(shown) -> list[dict]:
    """A section's table as one dict per body row, keyed by header text."""
    soup = html_of(shown)
    headers = [th.get_text() for th in soup.select("thead th")]
    rows = []
    for tr in soup.select("tbody tr"):
        cells = [c.get_text() for c in tr.find_all(["th", "td"])]
        if len(cells) == len(headers):  # the single "None." cell of an empty table is no row
            rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def text_of(shown) -> str:
    """The visible text, as a reader sees it: block elements apart, inline links (the register's) in line."""
    soup = html_of(shown)
    for block in soup.find_all(["p", "li", "td", "th", "div", "h1", "h2", "h3", "h4", "caption", "dt", "dd"]):
        block.append(" ")
    return " ".join(soup.get_text().split())


def number(text: str) -> int:
    return int(text.replace(",", ""))


# ---- hand-worked: a copy of the hand pack with two recommendations made during period B ----------


@pytest.fixture(scope="module")
def later_pack(tmp_path_factory):
    """hand_pack plus r6 (made 20 Aug 2014, inside B) and r7 (made 30 Sep 2014, B's last day),
    and centre c2 given a go-live date of 1 October 2014 (after B)."""
    folder = tmp_path_factory.mktemp("later") / "pack"
    shutil.copytree(HAND, folder)
    with (folder / "recommendations.csv").open("a", encoding="utf-8") as f:
        f.write("r6,Review 2014,2014-08-20,Report quarterly.,Cabinet Office,accepted,2014-12-31\n")
        f.write("r7,Review 2014,2014-09-30,Publish benchmarks.,Cabinet Office,accepted,\n")
    with (folder / "recommendation_status.csv").open("a", encoding="utf-8") as f:
        f.write("r6,C,implemented,implemented,,,Quarterly report seen,2015-01-10\n")
    centres = (folder / "centres.csv").read_text(encoding="utf-8")
    (folder / "centres.csv").write_text(centres.replace("procurement,\n", "procurement,2014-10-01\n"), encoding="utf-8")
    return load_pack(folder)


def test_recommendations_made_later_are_out_of_scope_before(later_pack):
    # At A (end 30 Jun) r6 and r7 do not exist yet: every figure is the hand pack's own (see test_measures).
    rec = key_figures(later_pack, P.period_of(later_pack.tables["periods"], "A"))["recommendations"]
    assert rec["total"] == 5 and "Review 2014" not in rec["by_source"]
    assert (rec["implemented"], rec["in_progress"], rec["not_started"], rec["superseded"]) == (1, 2, 2, 0)
    assert rec["implementation_rate"] == 0.2


def test_a_recommendation_made_on_the_last_day_is_in_scope(later_pack):
    # At B (end 30 Sep): r6 (20 Aug) and r7 (30 Sep, on End) are in scope, both not started (no rows yet);
    # r6's target 31 Dec is not passed, r7 has none: overdue stays r2 and r4. Rate = 1 / (7 - 1 superseded).
    rec = key_figures(later_pack, P.period_of(later_pack.tables["periods"], "B"))["recommendations"]
    assert rec == {
        "total": 7,
        "not_started": 3,
        "in_progress": 2,
        "implemented": 1,
        "superseded": 1,
        "not_implemented": 0,
        "implementation_rate": 0.1667,
        "overdue": 2,
        "reported_not_confirmed": 0,
        "not_reassessed": 2,
        "by_source": {
            "NAO 2014": {"total": 2, "implemented": 0},
            "PAC 2012": {"total": 3, "implemented": 1},
            "Review 2014": {"total": 2, "implemented": 0},
        },
    }


def test_changes_list_new_recommendations_as_not_yet_made(later_pack):
    t = later_pack.tables
    a, b = (P.period_of(t["periods"], p) for p in "AB")
    now = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], b)
    before = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], a)
    changed = recommendations.changes_since(now, before)
    assert list(zip(changed["rec_id"], changed["new"], changed["status"], strict=True)) == [
        ("r5", False, "superseded"),
        ("r6", True, "not_started"),
        ("r7", True, "not_started"),
    ]
    shown = table_rows(recommendations_section.changes_table(context(later_pack, "B")))
    # The table also lists re-dated recommendations and moves onto the overdue list (issue 10, item 9):
    # r2's target moved from 31 March 2015 to 31 August 2014 (overdue at B); r4's passed on 1 September.
    assert [(r["Ref"], r["At 2014-15 Q1"]) for r in shown] == [
        ("r2", "In progress"),
        ("r4", "In progress"),
        ("r5", "Not started"),
        ("r6", "Not yet made"),
        ("r7", "Not yet made"),
    ]


def test_status_chart_counts_only_recommendations_in_scope_at_each_period(later_pack):
    t = later_pack.tables
    upto = P.all_periods(t["periods"])
    series = recommendations.status_series(t["recommendations"], t["recommendation_status"], t["periods"], upto)
    totals = series[["not_started", "in_progress", "implemented", "superseded", "not_implemented"]].sum(axis=1)
    assert list(totals) == [5, 7, 7]
    assert list(series["implemented"]) == [1, 1, 2]  # at C: r1 (assessed in A) and r6 (assessed in C)


def test_a_recommendation_made_later_is_in_no_section_of_the_earlier_report(later_pack):
    ctx = context(later_pack, "A")
    for section in (
        recommendations_section.tracker_table,
        recommendations_section.overdue_list,
        recommendations_section.evidence_list,
        recommendations_section.changes_table,
        recommendations_section.source_table,
        summary_section.headlines,
    ):
        text = text_of(section(ctx))
        assert "r6" not in text and "Review 2014" not in text, section.__name__
    assert "1 of 5" in text_of(summary_section.headlines(ctx))


def test_som_counts_only_bodies_onboarded_by_end(later_pack):
    # At B: b1 (adopted) and b2 (with variations, 2) onboarded; b3, b4 and b5 (onboarded in C) not yet.
    ob = key_figures(later_pack, P.period_of(later_pack.tables["periods"], "B"))["onboarding"]
    assert [ob[k] for k in SOM_KEYS] == [1, 1, 0, 0, 3]
    shown = {
        r["Standard operating model"]: r for r in table_rows(onboarding_section.som_table(context(later_pack, "B")))
    }
    assert shown["Adopted with variations"]["Variations"] == "2"
    assert shown["Not yet onboarded (no status yet)"]["Bodies"] == "3"
    assert shown["Not yet onboarded (no status yet)"]["Variations"] == "Not applicable"


def test_onboarding_state_at_c_by_hand(later_pack):
    # End 31 Dec 2014. b1: onboarded 20 May, 19 days after 1 May: within tolerance (amber 30).
    # b2: onboarded 1 Aug, 47 days after 15 Jun: amber. b3: planned 30 Sep, not onboarded: overdue 92 days.
    # b4: no plan, not onboarded. b5: onboarded 15 Nov, 16 days before its 1 Dec plan: on time.
    period = P.period_of(later_pack.tables["periods"], "C")
    table = onboarding.onboarding_table(later_pack.tables["bodies"], period, later_pack.programme["thresholds"])
    got = {
        r.body_id: (r.state, None if pd.isna(r.slip_days) else int(r.slip_days), r.rating) for r in table.itertuples()
    }
    assert got == {
        "b1": ("onboarded", 19, "within"),
        "b2": ("onboarded", 47, "amber"),
        "b3": ("overdue", 92, "overdue"),
        "b4": ("unplanned", None, "unplanned"),
        "b5": ("onboarded", -16, "on_time"),
    }
    shown = {r["Body"]: r for r in table_rows(onboarding_section.onboarding_body_table(context(later_pack, "C")))}
    assert shown["Body Three"]["Rating (derived)"] == "Overdue, 92 days"
    assert shown["Body Five"]["Rating (derived)"] == "On time"
    assert shown["Body Two"]["Rating (derived)"] == "Late beyond amber threshold"


def test_kpi_values_before_go_live_are_flagged(later_pack):
    # c2 goes live 1 Oct 2014: its k1 value for B (ended 30 Sep) is flagged; c1 (live 1 Apr) is not.
    t = later_pack.tables
    early = onboarding.kpi_values_before_go_live(t["kpi_values"], t["centres"], t["periods"])
    assert list(zip(early["period_id"], early["centre_id"], early["kpi_id"], strict=True)) == [("B", "c2", "k1")]
    rows = table_rows(service_section.kpi_table(context(later_pack, "B")))
    flags = {(r["Centre"], r["KPI"]): r["Flag"] for r in rows}
    assert flags[("Centre Two", "Invoices paid within 5 days")].startswith("Reported before the centre went live")
    assert "1 October 2014" in flags[("Centre Two", "Invoices paid within 5 days")]
    assert flags[("Centre One", "Invoices paid within 5 days")] == "None"
    timeliness = {
        r["Period"]: r["Before centre went live (flagged)"]
        for r in table_rows(service_section.mi_timeliness_table(context(later_pack, "B")))
    }
    assert timeliness == {"2014-15 Q1": "0", "2014-15 Q2": "1"}


# ---- the sample pack ---------------------------------------------------------------------------


def test_ngss_first_period_counts_only_what_existed(ngss):
    # 2012-13 Q4 ends 31 March 2013: the NAO 2014 recommendations (31 March 2014) do not exist yet,
    # and no body had joined a centre, so none has an operating-model status.
    ctx = context(ngss, "2012-13-Q4")
    rec, ob = ctx.figures["recommendations"], ctx.figures["onboarding"]
    assert rec["total"] == 7 and list(rec["by_source"]) == ["PAC 2012"]
    assert ob["som_adopted_with_variations"] == 0 and ob["som_not_onboarded"] == ob["bodies"] == 21
    assert not any(r["Ref"].startswith("nao14") for r in table_rows(recommendations_section.tracker_table(ctx)))
    shown = {r["Standard operating model"]: r["Bodies"] for r in table_rows(onboarding_section.som_table(ctx))}
    assert shown["Adopted with variations"] == "0"


def test_ngss_2013_14_q4_counts_the_nao_recommendations_made_on_its_last_day(ngss):
    # 2013-14 Q4 ends 31 March 2014, the day the NAO 2014 report made its six recommendations:
    # "made by End" is "source_date on or before End", so 13 are in scope; the published
    # PAC 2012 figure, 2 of 7, is shown beside them in the headline. At 2013-14 Q3, only the 7.
    ctx = context(ngss, "2013-14-Q4")
    rec = ctx.figures["recommendations"]
    assert (rec["total"], rec["implemented"]) == (13, 2)
    assert rec["by_source"] == {"NAO 2014": {"total": 6, "implemented": 0}, "PAC 2012": {"total": 7, "implemented": 2}}
    headline = text_of(summary_section.headlines(ctx))
    assert "2 of 13" in headline and "2 of 7 PAC 2012" in headline
    assert context(ngss, "2013-14-Q3").figures["recommendations"]["total"] == 7


def test_ngss_overdue_body_is_never_on_time(ngss):
    # At 2013-14 Q4 the Department for Business, Innovation and Skills (planned 3 February 2014) was not
    # onboarded: overdue, 56 days, the one overdue body of the summary.
    ctx = context(ngss, "2013-14-Q4")
    shown = {r["Body"]: r for r in table_rows(onboarding_section.onboarding_body_table(ctx))}
    assert shown["Department for Business, Innovation and Skills"]["Rating (derived)"] == "Overdue, 56 days"
    assert ctx.figures["onboarding"]["overdue"] == 1
    # At 2015-16 Q4 the Insolvency Service (planned 4 January 2016) is 87 days overdue, not on time.
    shown = {r["Body"]: r for r in table_rows(onboarding_section.onboarding_body_table(context(ngss, "2015-16-Q4")))}
    assert shown["Insolvency Service"]["Rating (derived)"] == "Overdue, 87 days"


def test_ngss_kpi_values_before_issc2_went_live_are_flagged(ngss):
    # ISSC2 went live on 1 November 2013: its values for 2013-14 Q1 and Q2 (4 KPIs each) are flagged.
    t = ngss.tables
    early = onboarding.kpi_values_before_go_live(t["kpi_values"], t["centres"], t["periods"])
    assert early.groupby(["period_id", "centre_id"]).size().to_dict() == {
        ("2013-14-Q1", "issc2"): 4,
        ("2013-14-Q2", "issc2"): 4,
    }
    flags = [r["Flag"] for r in table_rows(service_section.kpi_table(context(ngss, "2013-14-Q2")))]
    assert sum(f.startswith("Reported before the centre went live (1 November 2013)") for f in flags) == 4
    assert flags.count("None") == 4


# ---- one truth per fact: every count quoted in the summary against the tables ---------------------

ONBOARDING_SENTENCE = re.compile(
    r"(?P<onboarded>\d+) of (?P<bodies>\d+) participating bod(?:y|ies) had been onboarded, serving "
    r"(?P<customers>[\d,]+) customers; (?P<overdue>\d+) bod(?:y was|ies were) overdue"
)
RECOMMENDATION_SENTENCE = re.compile(
    r"Of (?P<total>\d+) recommendations? made by the end of [^,]+, "
    r"(?:(?P<superseded>\d+) had been superseded, leaving (?P<in_force>\d+) in force"
    r"|none had been superseded, so all (?P<all_in_force>\d+) were in force); "
    r"(?P<implemented>\d+) of the (?P<in_force_again>\d+) in force had been implemented \((?P<sources>[^)]*)\), "
    r"(?P<in_progress>\d+) in progress and (?P<not_started>\d+) not started(?:; (?P<not_implemented>\d+) will not be implemented)?; "
    r"(?P<overdue>\d+) overdue"
)


def summary_counts(ctx: Context) -> tuple[dict, dict, dict]:
    """The onboarding and recommendation counts the executive summary quotes, and its counts by source."""
    text = text_of(summary_section.summary_text(ctx))
    ob, rec = ONBOARDING_SENTENCE.search(text), RECOMMENDATION_SENTENCE.search(text)
    assert ob and rec, f"summary sentences not found in: {text}"
    sources = {m[3]: (int(m[1]), int(m[2])) for m in re.finditer(r"(\d+) of (\d+) from ([^;]+)", rec["sources"])}
    counts = {k: number(v) for k, v in rec.groupdict().items() if k != "sources" and v is not None}
    if "all_in_force" in counts:  # "none had been superseded, so all N were in force"
        counts["superseded"], counts["in_force"] = 0, counts.pop("all_in_force")
    assert counts.pop("in_force_again") == counts["in_force"] == counts["total"] - counts["superseded"]
    return {k: number(v) for k, v in ob.groupdict().items()}, counts, sources


def period_ids() -> list[str]:
    return list(pd.read_csv(NGSS / "periods.csv")["period_id"])


@pytest.mark.parametrize("period_id", period_ids())
def test_summary_counts_match_the_tables(ngss, period_id):
    ctx = context(ngss, period_id)
    ob, rec, sources = summary_counts(ctx)

    # Onboarding: the body table, the section's own sentences, the headline tile, the SOM table.
    bodies = table_rows(onboarding_section.onboarding_body_table(ctx))
    onboarded = [r for r in bodies if r["Actual"] != "Not yet onboarded"]
    assert len(bodies) == ob["bodies"]
    assert len(onboarded) == ob["onboarded"]
    assert sum(r["Rating (derived)"].startswith("Overdue") for r in bodies) == ob["overdue"]
    assert not any(r["Rating (derived)"].startswith("On time") for r in bodies if r["Actual"] == "Not yet onboarded")
    assert sum(number(r["Customers"]) for r in onboarded) == ob["customers"]
    section = text_of(onboarding_section.onboarding_text(ctx))
    assert f"{ob['onboarded']} of {ob['bodies']} bodies had been onboarded" in section
    assert re.search(rf"\b{ob['overdue']} bod(y was|ies were) overdue", section)
    headline = text_of(summary_section.headlines(ctx))
    assert f"{ob['onboarded']} of {ob['bodies']} bodies onboarded; {ob['overdue']} overdue" in headline
    som = table_rows(onboarding_section.som_table(ctx))
    assert sum(number(r["Bodies"]) for r in som) == ob["bodies"]
    assert number(som[-1]["Bodies"]) == ob["bodies"] - ob["onboarded"]
    assert sum(ctx.figures["onboarding"][k] for k in SOM_KEYS) == ctx.figures["onboarding"]["bodies"]

    # Recommendations: the tracker, the overdue list, the by-source table and the headline tile.
    tracker = table_rows(recommendations_section.tracker_table(ctx))
    assert len(tracker) == rec["total"]
    status = [r["Assessed status"] for r in tracker]
    assert (status.count("Implemented"), status.count("In progress"), status.count("Not started")) == (
        rec["implemented"],
        rec["in_progress"],
        rec["not_started"],
    )
    assert sum("Overdue" in r["Flags"] for r in tracker) == rec["overdue"]
    assert len(html_of(recommendations_section.overdue_list(ctx)).find_all("li")) == rec["overdue"]
    by_source = {
        r["Source report"]: (number(r["Implemented"]), number(r["Recommendations"]))
        for r in table_rows(recommendations_section.source_table(ctx))
    }
    assert by_source == sources
    assert sum(total for _, total in sources.values()) == rec["total"]
    assert (
        f"{rec['implemented']} of {rec['in_force']} recommendations in force; {rec['superseded']} superseded"
        in headline
    )
    assert status.count("Superseded") == rec["superseded"]
    refs = {r["Ref"] for r in tracker}
    assert {r["Ref"] for r in table_rows(recommendations_section.changes_table(ctx))} <= refs
    evidence = [
        li.get_text().split(" ")[0] for li in html_of(recommendations_section.evidence_list(ctx)).find_all("li")
    ]
    assert set(evidence) <= refs


SIGNAL_VALUES = {
    "Overdue onboarding": re.compile(r"^(?P<value>\d+) of (?P<of>\d+) bodies overdue$"),
    "Overdue recommendations": re.compile(r"^(?P<value>\d+) of (?P<of>\d+) open recommendations overdue"),
    "KPIs missing their benchmark": re.compile(
        r"^(?P<value>\d+) of (?P<of>\d+) benchmarked KPI values missed their benchmark(?:; (?P<early>\d+) reported before)?"
    ),
    "Late management information (MI)": re.compile(r"^(?P<value>\d+) of (?P<of>\d+) KPI values reported late"),
}


@pytest.mark.parametrize("period_id", period_ids())
def test_signals_match_the_summary_and_the_tables(ngss, period_id):
    """Every count the signals table quotes equals the summary's and the other sections' tables."""
    ctx = context(ngss, period_id)
    ob, rec, _ = summary_counts(ctx)
    shown = {r["Signal"]: r for r in table_rows(summary_section.signals_table(ctx))}
    assert list(shown) == [
        "Overdue onboarding",
        "Overdue recommendations",
        "Costs against the estimate",
        *list(SIGNAL_VALUES)[2:],
    ]
    got = {name: SIGNAL_VALUES[name].match(shown[name]["This period"]) for name in SIGNAL_VALUES}
    assert all(got.values()), shown
    assert (number(got["Overdue onboarding"]["value"]), number(got["Overdue onboarding"]["of"])) == (
        ob["overdue"],
        ob["bodies"],
    )
    assert number(got["Overdue recommendations"]["value"]) == rec["overdue"]
    assert number(got["Overdue recommendations"]["of"]) == rec["in_progress"] + rec["not_started"]
    # KPIs: the service section's KPI table, values flagged before go-live not counted as results.
    kpis = table_rows(service_section.kpi_table(ctx))
    results = [r for r in kpis if r["Flag"] == "None" and r["Against benchmark"] != "No benchmark"]
    kpi = got["KPIs missing their benchmark"]
    assert number(kpi["of"]) == len(results)
    assert number(kpi["value"]) == sum(r["Against benchmark"] == "Misses benchmark" for r in results)
    assert number(kpi["early"] or "0") == sum(r["Flag"] != "None" for r in kpis)
    late = got["Late management information (MI)"]
    assert number(late["of"]) == len(kpis)
    assert number(late["value"]) == sum(r["Reported"].startswith("Late") for r in kpis)
    timeliness = {r["Period"]: r for r in table_rows(service_section.mi_timeliness_table(ctx))}
    if kpis:
        assert number(timeliness[ctx.period.label]["Reported late"]) == number(late["value"])
        assert number(timeliness[ctx.period.label]["KPI values"]) == number(late["of"])
    # Costs: the same figure as the headline tile.
    tiles = html_of(summary_section.headlines(ctx)).select("li.headline")
    headline = {tile.select_one("p.label").get_text(): tile.select_one("p.figure").get_text() for tile in tiles}
    # the same figure: the tile in running text (£94 million), the table to one decimal place (£94.0 million)
    one_place = re.sub(
        r"£([\d,.]+) million",
        lambda m: f"£{float(m.group(1).replace(',', '')):,.1f} million",
        headline["Implementation costs to date"],
    )
    assert shown["Costs against the estimate"]["This period"] == one_place + " to date"
    # A signal that is not met says so in words, never by colour.
    assert {r["Threshold met"].split(":")[0] for r in shown.values()} <= {
        "Met",
        "Not met",
        "Met on the returns collated; the total is incomplete",
        "Not assessed",
    }


def test_every_period_chart_series_uses_the_same_rules(ngss):
    t = ngss.tables
    every = P.all_periods(t["periods"])
    onboarded = onboarding.onboarding_series(t["bodies"], every)
    statuses = recommendations.status_series(t["recommendations"], t["recommendation_status"], t["periods"], every)
    for p, ob_row, rec_row in zip(every, onboarded.itertuples(), statuses.itertuples(), strict=True):
        figures = key_figures(ngss, p)
        assert (ob_row.onboarded, ob_row.overdue) == (
            figures["onboarding"]["onboarded"],
            figures["onboarding"]["overdue"],
        )
        counted = sum(
            getattr(rec_row, s) for s in ("implemented", "in_progress", "not_started", "superseded", "not_implemented")
        )
        assert counted == figures["recommendations"]["total"], p.period_id
