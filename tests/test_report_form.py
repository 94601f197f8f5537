"""The NAO's report form (issue 10, item 9), checked on every period of the sample pack.

One shared run of every period (``register_run``, HTML and PDF, also used by the register tests):
every table and chart is a numbered figure with a Source line under it; narrative paragraphs are
numbered within each part; the glossary expands every abbreviation the report shows and the
methodology gives every threshold and definition, both in the contents; no raw id of a period,
body, centre or KPI (nor a status code) is shown where labels belong; every table follows one
number style. Unit tests of ``report.form`` show the numbering and the default Source lines on
small pages, and the hand pack shows "Changes since the previous period" worked by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from fixtures_register import DATA, REGISTER_PERIODS

from audit_pipeline.measures import periods as P
from audit_pipeline.measures import recommendations
from audit_pipeline.pack.contract import REC_STATUSES
from audit_pipeline.pack.load import load_pack
from audit_pipeline.report import form, glossary, methodology
from audit_pipeline.report.context import Context
from audit_pipeline.report.sections import recommendations as recommendations_section

pytest_plugins = ["fixtures_register"]

HAND = Path(__file__).parent / "fixtures" / "hand_pack"
ID_COLUMNS = {"periods": "period_id", "bodies": "body_id", "centres": "centre_id", "kpis": "kpi_id"}
APPENDICES_WITH_IDS = ("figure-register", "provenance")  # identifiers there are labelled as such
STATUS_CODES = sorted(
    {s for s in REC_STATUSES if "_" in s} | {"adopted_with_variations", "not_assessed", "not_collated"}
)
MONEY_CELL = re.compile(r"^(?:at least )?-?[\d,]+\.\d$")
MONEY_IN_TEXT = re.compile(r"£[\d,.]+(?: million)?")
MONEY_ONE_PLACE = re.compile(r"^£[\d,]+\.\d million$")
PERCENT = re.compile(r"-?[\d,.]+%")
PERCENT_ONE_PLACE = re.compile(r"^-?[\d,]+\.\d%$")
WORDS = {"", "not collated", "not available", "None set", "Not applicable"}


def page(register_run, period: str) -> BeautifulSoup:
    return BeautifulSoup((register_run / period / "report.html").read_text(encoding="utf-8"), "html.parser")


def figures_of(soup: BeautifulSoup) -> list:
    """Every table and chart that is a figure of its own (not inside another, nor a chart's data table)."""
    found = []
    for element in soup.select("main table.report-table, main figure.chart"):
        if not element.find_parent(["figure", "details", "table", "dl", "ul", "ol"]):
            found.append(element)
    return found


def parts_text(soup: BeautifulSoup) -> dict[str, str]:
    """The reader-facing text of each section (and of the page's header), alt texts included."""
    texts = {}
    header = soup.find("header")
    if header is not None:
        texts["header"] = header.get_text(" ")
    for section in soup.select("main > section"):
        alts = " ".join(img.get("alt", "") for img in section.find_all("img"))
        labels = " ".join(svg.get("aria-label", "") for svg in section.find_all("svg"))
        texts[section.get("id")] = " ".join([section.get_text(" "), alts, labels])
    return texts


# ---- numbered figures with their Source lines; numbered paragraphs ----------------------------------


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_table_and_chart_is_a_numbered_figure_with_a_source_line(register_run, period):
    soup = page(register_run, period)
    shown = figures_of(soup)
    assert shown, "no table or chart found"
    for number, element in enumerate(shown, start=1):
        caption = element.find(["caption", "figcaption"])
        label = caption.find(class_=form.FIGURE_NUMBER) if caption else None
        assert label is not None and label.get_text(strip=True) == f"Figure {number}:", (period, str(caption)[:200])
        source = element.find_next_sibling()
        assert source is not None and source.name == "p" and form.SOURCE in source.get("class", []), (
            period,
            caption.get_text(" ", strip=True)[:80],
        )
        assert source.get_text(" ", strip=True).startswith("Source: ") and len(source.get_text(strip=True)) > 12


@pytest.mark.parametrize("period", REGISTER_PERIODS[-1:])
def test_sections_pass_their_own_sources_and_notes(register_run, period):
    soup = page(register_run, period)
    lines = {
        figure.find(["caption", "figcaption"]).get_text(" ", strip=True): figure.find_next_sibling()
        for figure in figures_of(soup)
    }
    tracker = next(v for k, v in lines.items() if k.startswith("Figure") and "Recommendation tracker" in k)
    assert "recommendation_status" in tracker.get_text() and "auditor" in tracker.get_text()
    notes = tracker.find_next_sibling()
    assert form.NOTES in notes.get("class", []) and notes.get_text().startswith("Notes: ")


@pytest.mark.parametrize("period", REGISTER_PERIODS[-1:])
def test_a_reference_to_a_figure_reads_its_number(register_run, period):
    soup = page(register_run, period)
    onboarding = soup.find(id="section-03_onboarding")
    table = next(
        f for f in figures_of(onboarding) if f.name == "table" and "Onboarding by body" in f.caption.get_text()
    )
    number = table.caption.find(class_=form.FIGURE_NUMBER).get_text(strip=True).rstrip(":")
    references = [s.get_text() for s in onboarding.select(f"p > .{form.FIGURE_NUMBER}")]
    assert references == [number]
    assert form.XOPEN not in soup.get_text()


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_paragraphs_are_numbered_within_each_part(register_run, period):
    soup = page(register_run, period)
    parts = [s for s in soup.select("main > section") if s.get("id", "").startswith("section-")]
    assert parts
    for part, section in enumerate(parts, start=1):
        narrative = [
            p
            for p in section.find_all("p")
            if not set(p.get("class", [])) & form.UNNUMBERED
            and (
                p.parent is section
                or (
                    set(p.parent.get("class", [])) & form.NARRATIVE_BLOCKS
                    and p.parent.find_parent("section") is section
                )
            )
        ]
        assert narrative, section.get("id")
        numbers = [p.find(class_=form.PARAGRAPH_NUMBER) for p in narrative]
        assert all(n is not None for n in numbers), section.get("id")
        assert [n.get_text() for n in numbers] == [f"{part}.{i}" for i in range(1, len(narrative) + 1)]
    appendix = soup.find(id="glossary")
    assert appendix is not None and appendix.find(class_=form.PARAGRAPH_NUMBER) is None


# ---- glossary and methodology ---------------------------------------------------------------------------


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_abbreviation_has_a_glossary_entry(register_run, period):
    soup = page(register_run, period)
    texts = parts_text(soup)
    used = set()
    for name, text in texts.items():
        if name != "figure-register":
            used |= glossary.abbreviations_in(text)
    missing = sorted(used - set(glossary.ABBREVIATIONS))
    assert not missing, f"{period}: abbreviations with no glossary entry: {missing}"
    listed = {dt.get_text(strip=True) for dt in soup.select("#glossary dt")}
    assert used <= listed, sorted(used - listed)
    assert set(glossary.TERMS) <= listed


def test_the_abbreviation_check_can_fail():
    assert glossary.abbreviations_in("The KPIs of ISSC1 under the SLA; a ZZQ.") == {"KPI", "ISSC", "SLA", "ZZQ"}
    assert "ZZQ" not in glossary.ABBREVIATIONS


@pytest.mark.parametrize("period", REGISTER_PERIODS[-1:])
def test_methodology_and_glossary_are_in_the_contents_with_every_threshold_and_definition(register_run, period):
    import json

    soup = page(register_run, period)
    contents = [a["href"] for a in soup.select("nav.toc a")]
    assert "#methodology" in contents and "#glossary" in contents
    assert contents.index("#methodology") < contents.index("#figure-register")
    method = soup.find(id="methodology").get_text(" ")
    pack = load_pack(DATA)
    assert set(pack.programme["thresholds"]) <= set(methodology.THRESHOLD_RULES)  # each named and explained
    for key in pack.programme["thresholds"]:
        name, rule = methodology.THRESHOLD_RULES[key]
        assert name in method and rule in method, key
    document = json.loads((register_run / period / "figures.json").read_text(encoding="utf-8"))
    for entry in document["figures"]:
        assert " ".join(entry["definition"].split()) in " ".join(method.split()), entry["id"]


# ---- labels, never raw ids ---------------------------------------------------------------------------


def _pack_ids() -> dict[str, str]:
    ids = {}
    for table, column in ID_COLUMNS.items():
        for value in pd.read_csv(DATA / f"{table}.csv", dtype=str)[column].dropna():
            ids[value] = table
    return ids


def raw_ids(text: str, ids: dict[str, str]) -> list[str]:
    return sorted({i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)})


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_no_raw_id_or_status_code_where_labels_belong(register_run, period):
    ids = _pack_ids()
    for name, text in parts_text(page(register_run, period)).items():
        if name in APPENDICES_WITH_IDS:
            continue
        assert raw_ids(text, ids) == [], f"{period}, {name}: raw ids shown"
        if name.startswith("section-"):
            codes = [c for c in STATUS_CODES if re.search(rf"\b{c}\b", text)]
            assert codes == [], f"{period}, {name}: status codes shown"


def test_the_id_check_can_fail():
    ids = _pack_ids()
    assert raw_ids("Centre issc1 in 2013-14-Q2, Department for Transport", ids) == ["2013-14-Q2", "issc1"]
    assert raw_ids("Independent Shared Service Centre 1 in 2013-14 Q2", ids) == []


# ---- one number style in tables -----------------------------------------------------------------------


def _cells(soup: BeautifulSoup):
    """(section id, column header, cell text) of every body cell of every table outside the register."""
    for section in soup.select("main > section"):
        if section.get("id") in APPENDICES_WITH_IDS:
            continue
        for table in section.find_all("table"):
            heads = [th.get_text(" ", strip=True) for th in table.select("thead th")]
            for row in table.select("tbody tr"):
                for head, cell in zip(heads, row.find_all(["th", "td"]), strict=False):
                    yield section.get("id"), head, cell.get_text(" ", strip=True)


def number_style_errors(soup: BeautifulSoup) -> list[tuple[str, str, str]]:
    errors = []
    for section, head, text in _cells(soup):
        if "£ million" in head and text not in WORDS and not MONEY_CELL.match(text):
            errors.append((section, head, text))
        for amount in MONEY_IN_TEXT.findall(text):
            if not MONEY_ONE_PLACE.match(amount):
                errors.append((section, head, amount))
        for value in PERCENT.findall(text):
            if not PERCENT_ONE_PLACE.match(value):
                errors.append((section, head, value))
    return errors


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_table_follows_one_number_style(register_run, period):
    errors = number_style_errors(page(register_run, period))
    assert errors == [], f"{period}: {errors[:8]}"


def test_the_number_style_check_can_fail():
    soup = BeautifulSoup(
        "<main><section id='section-x'><table><thead><tr><th>Cost (£ million)</th><th>Share</th>"
        "<th>Note</th></tr></thead><tbody><tr><td>94</td><td>29%</td><td>£400 million</td></tr>"
        "<tr><td>94.0</td><td>28.6%</td><td>£0.3 million</td></tr></tbody></table></section></main>",
        "html.parser",
    )
    assert [e[2] for e in number_style_errors(soup)] == ["94", "29%", "£400 million"]


# ---- the form on small pages (report.form) -------------------------------------------------------------

PAGE = (
    "<html><head><style>p > a {}</style></head><body><main>"
    '<section class="report-section" id="section-01_a"><h2>A</h2><p>Intro.</p>'
    '<table class="report-table"><caption>First</caption><tbody><tr><td>x</td></tr></tbody></table>'
    f'{form.source_html("given.", key="first")}<div class="title-block"><p>Not narrative.</p></div>'
    f"<p>Second, {form.see('first', 'the table above')}; {form.see('nowhere', 'a table')}.</p>"
    '<div class="commentary"><h3>C</h3><div class="commentary-text"><p>Auditor.</p></div></div>'
    "</section>"
    '<section class="report-section" id="section-02_b"><h2>B</h2><p>Only.</p>'
    '<figure class="chart"><img alt="x"><figcaption>Chart</figcaption>'
    '<details><table class="report-table"><caption>Its data</caption></table></details></figure></section>'
    '<section class="report-section" id="provenance"><h2>Provenance</h2><p>Appendix text.</p>'
    '<table class="report-table"><caption>Inputs</caption></table></section>'
    "</main></body></html>"
)


def test_number_report_numbers_paragraphs_by_part_and_figures_through_the_report():
    html, scan = form.number_report(PAGE)
    soup = BeautifulSoup(html, "html.parser")
    assert scan.paragraphs == ["1.1", "1.2", "1.3", "2.1"]
    assert soup.select_one(".commentary-text p").get_text() == "1.3 Auditor."
    # A reference by key reads "Figure N" (marked as a form number); one to no figure, its fallback.
    assert "1.2 Second, Figure 1; a table." in soup.get_text()
    assert [f["number"] for f in scan.figures] == [1, 2, 3]
    captions = [c.get_text(" ", strip=True) for c in soup.find_all(["caption", "figcaption"])]
    assert captions == ["Figure 1: First", "Figure 2: Chart", "Its data", "Figure 3: Inputs"]
    assert soup.find(class_="title-block").find(class_=form.PARAGRAPH_NUMBER) is None
    sources = [p.get_text() for p in soup.select("p.figure-source")]
    assert sources == [
        "Source: given.",
        "Source: the programme's data pack.",
        "Source: the run's manifest (manifest.json beside this report).",
    ]


def test_default_sources_name_the_tables_and_the_rows_sources():
    entries = [
        {"inputs": [{"table": "costs", "sources": ["Programme accounts"]}, {"table": "periods", "sources": []}]},
        {"inputs": [{"table": "savings", "sources": ["Return (illustrative)", "Programme accounts"]}]},
    ]
    text = form.default_source(entries, ["estimates", "periods", "programme:thresholds"])
    assert text == (
        "the programme's data pack, tables costs, savings, estimates; "
        "its rows cite: Programme accounts; Return (illustrative)."
    )
    assert form.default_source([], ["periods"]) == "the programme's data pack, table periods."
    html = form.add_default_sources('<table class="report-table"><caption>c</caption></table>', [], ["bodies"])
    assert html.endswith('<p class="figure-source">Source: the programme\'s data pack, table bodies.</p>')
    assert form.add_default_sources(html, [], ["bodies"]) == html  # one Source line, never two


# ---- changes since the previous period (hand pack) -----------------------------------------------------


def _context(pack, period_id: str) -> Context:
    periods = pack.tables["periods"]
    period = P.period_of(periods, period_id)
    return Context(pack, period, P.previous_period(periods, period))


def test_movements_since_the_previous_period_by_hand():
    """Hand pack, A (end 30 June 2014) to B (end 30 September 2014):
    r2's target moved from 31 March 2015 to 31 August 2014, so it became overdue;
    r4's target (1 September 2014) passed; r5 was superseded, leaving the overdue list (its target,
    1 May 2014, had passed at A). r1 and r3 did not change."""
    pack = load_pack(HAND)
    t = pack.tables
    a, b = (P.period_of(t["periods"], p) for p in "AB")
    now = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], b)
    before = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], a)
    moved = recommendations.movements_since(now, before).set_index("rec_id")
    assert list(moved.index) == ["r2", "r4", "r5"]
    assert moved.loc["r2", ["redated", "overdue_before", "overdue_now"]].tolist() == [True, False, True]
    assert moved.loc["r4", ["redated", "overdue_before", "overdue_now"]].tolist() == [False, False, True]
    assert moved.loc["r5", ["status", "overdue_before", "overdue_now"]].tolist() == ["superseded", True, False]
    assert not moved["left_overdue_by_redating"].any()
    assert recommendations.movements_since(now, None).empty


def test_a_recommendation_that_left_the_overdue_list_by_being_redated_says_so():
    """Sample pack, 2014-15 Q3 to Q4: pac12-04 (target 30 June 2014, overdue) was re-dated to 31 December
    2015 while still in progress; nao14-04 left the list by being implemented."""
    pack = load_pack(DATA)
    rows = {r["Ref"]: r for r in _rows(recommendations_section.changes_table(_context(pack, "2014-15-Q4")))}
    assert rows["pac12-04"]["Target date in force"] == "31 December 2015 (was 30 June 2014)"
    assert "Left the overdue list only because its target date moved" in rows["pac12-04"]["Change"]
    assert rows["nao14-04"]["Change"].endswith("Left the overdue list: now implemented")


def test_headline_figures_then_and_now_are_registered_figures():
    pack = load_pack(DATA)
    ctx = _context(pack, "2014-15-Q4")
    rows = {r["Headline figure"]: r for r in _rows(recommendations_section.headline_changes(ctx))}
    assert rows["Bodies onboarded"]["At 2014-15 Q3"] == "11" and rows["Bodies onboarded"]["At 2014-15 Q4"] == "12"
    assert rows["Bodies onboarded"]["Movement"] == "Up"
    costs = rows["Implementation costs to date (£ million)"]
    assert costs["At 2014-15 Q3"].startswith("at least ") and MONEY_CELL.match(costs["At 2014-15 Q3"])
    entry = ctx.register.entries["previous.onboarding.onboarded"]
    assert entry["value"] == 11 and entry["inputs"][0]["rows"] == 11
    assert _rows(recommendations_section.headline_changes(_context(pack, "2012-13-Q4"))) == []


def _rows(shown) -> list[dict]:
    soup = BeautifulSoup(shown.data, "html.parser")
    headers = [th.get_text() for th in soup.select("thead th")]
    rows = []
    for tr in soup.select("tbody tr"):
        cells = [c.get_text() for c in tr.find_all(["th", "td"])]
        if len(cells) == len(headers):
            rows.append(dict(zip(headers, cells, strict=True)))
    return rows
