"""Issue 9 end to end on a second pack: another programme, half-year periods, XLSX inputs, commentary.

The register's entries name the XLSX files and their sheet rows (costs.xlsx has a blank row, so
sheet rows are not record numbers); figures.json and figures.xlsx are published; the report links
its figures to the "Figure register" appendix; no number in the HTML or the PDF is unregistered;
the figure-check (``verify --figures``) passes; the commentary is shown with live figures and as text; ``figures`` and
``diff`` print and compare the registers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from fixtures_register import ROOT
from openpyxl import load_workbook
from register_numbers import (
    form_numbers,
    pack_text_numbers,
    pdf_body,
    quoted_texts,
    registered,
    unaccounted,
    visible_html_text,
)
from second_pack import PERIODS

from audit_pipeline.pack.load import load_pack

pytest_plugins = ["fixtures_register"]


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *map(str, args)], capture_output=True, text=True, timeout=300
    )


def _register(second_run, period) -> dict:
    return json.loads((second_run / period / "figures.json").read_text(encoding="utf-8"))


def _sheet_rows(path, **where) -> list[int]:
    """The sheet rows of ``path`` whose cells match ``where`` (read with openpyxl, as a person would count)."""
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return [
        number
        for number, row in enumerate(rows, start=1)
        if number > 1 and any(row) and all(row[header.index(k)] == v for k, v in where.items())
    ]


def test_entries_name_xlsx_files_and_sheet_rows(second_run, second_pack):
    entries = {e["id"]: e for e in _register(second_run, "H2-2013")["figures"]}
    central = entries["costs.central_programme_to_date"]
    (used,) = central["inputs"]
    assert used["file"] == "costs.xlsx"
    assert used["lines"] == _sheet_rows(second_pack / "costs.xlsx", cost_type="central_programme", status="actual")
    assert used["lines"] == [2] and used["sources"] == ["accounts"]
    not_collated = entries["costs.departmental_not_collated_bodies"]["inputs"][0]
    assert not_collated["lines"] == [4]  # the second record, below the blank sheet row 3
    assert entries["onboarding.customers_served"]["inputs"][0]["file"] == "bodies.xlsx"
    assert entries["service.C1.volume"]["inputs"][0]["file"] == "transactions.xlsx"
    # Chart data points are registered, by chart, series and point.
    assert entries["chart.costs.central_programme.H2-2013"]["value"] == 1.5
    assert entries["chart.onboarding.onboarded.H1-2013"]["inputs"][0]["lines"] == [2, 4]


@pytest.mark.parametrize("period", PERIODS)
def test_figures_json_and_xlsx_are_published(second_run, period):
    document = _register(second_run, period)
    assert document["programme_id"] == "hrx" and document["period_id"] == period
    book = load_workbook(second_run / period / "figures.xlsx")
    assert book.sheetnames[0] == "Figures"
    assert {"costs", "bodies", "savings"} <= set(book.sheetnames)
    costs = book["costs"]
    assert [c.value for c in costs[1]][0] == "line"
    used = [costs.cell(row=r, column=1).value for r in range(2, costs.max_row + 1)]
    assert 4 in used and set(used) <= {2, 4, 5}  # sheet rows, not record numbers (row 3 is blank)
    for sheet in book.worksheets:
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("period", PERIODS)
def test_the_report_links_every_figure_to_the_appendix(second_run, period):
    soup = BeautifulSoup((second_run / period / "report.html").read_text(encoding="utf-8"), "html.parser")
    appendix = soup.find(id="figure-register")
    assert appendix is not None
    anchors = {tag["id"] for tag in appendix.select(".register-entry")}
    links = [a["href"][1:] for a in soup.select("a.figure-ref")]
    assert links and set(links) <= anchors
    assert len(anchors) == len(_register(second_run, period)["figures"])


@pytest.mark.parametrize("period", PERIODS)
def test_no_unregistered_number_in_html_or_pdf(second_run, second_pack, period):
    pack = load_pack(second_pack)
    periods = pack.tables["periods"]
    labels = list(periods["label"]) + list(periods["period_id"])
    document = _register(second_run, period)
    text, identifiers = visible_html_text((second_run / period / "report.html").read_text(encoding="utf-8"))
    texts = quoted_texts(pack)
    assert unaccounted(text, registered(document), labels + texts) == []
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(second_run / period / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    allowed = registered(document) | identifiers | pack_text_numbers(pack)
    paragraphs = form_numbers((second_run / period / "report.html").read_text(encoding="utf-8"))
    assert unaccounted(pdf_body(pdf, paragraphs), allowed, labels + texts) == []


@pytest.mark.parametrize("period", PERIODS)
def test_the_figure_check_passes(second_run, period):
    done = cli("verify", "--figures", second_run / period)
    assert done.returncode == 0, done.stdout + done.stderr
    # XLSX transactions and thresholds left to their defaults are re-derived too.
    assert "NOT CHECKED service." not in done.stdout and "NOT CHECKED thresholds." not in done.stdout


def test_commentary_is_shown_with_live_figures_and_as_text(second_run):
    first = BeautifulSoup((second_run / "H1-2013" / "report.html").read_text(encoding="utf-8"), "html.parser")
    conclusion = first.select_one(".conclusion")
    link = conclusion.select_one("a.figure-ref")
    total = next(e for e in _register(second_run, "H1-2013")["figures"] if e["id"] == "costs.total_to_date")
    assert link["href"] == "#fig-costs.total_to_date" and link.get_text() == "at least " + total["display"]
    assert conclusion.select_one("strong") is not None
    assert [a["href"] for a in conclusion.select("a:not(.figure-ref)")] == ["https://www.gov.uk/guidance"]
    costs = first.select(".commentary")
    assert len(costs) == 1
    text = costs[0].get_text()
    assert '<script>alert("commentary")</script>' in text and "<b>bold markup</b>" in text
    assert costs[0].find("script") is None and costs[0].find("img") is None and costs[0].find("b") is None
    assert all(a["href"].startswith(("https:", "#fig-")) for a in costs[0].find_all("a"))
    assert "Text for a period that is not in the pack" not in first.get_text()
    second = BeautifulSoup((second_run / "H2-2013" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert "No conclusion has been recorded for this period." in second.get_text()
    part = second.select_one(".commentary")
    assert part.find("h4").get_text() == "A heading in the text"  # below the section's own headings
    assert {a["href"] for a in part.select("a.figure-ref")} == {"#fig-onboarding.onboarded", "#fig-onboarding.bodies"}


def test_figures_prints_a_register(second_run):
    folder = second_run / "H2-2013"
    text = cli("figures", folder, "--id", "costs.*")
    assert text.returncode == 0 and "costs.central_programme_to_date = £1.5 million" in text.stdout
    assert "costs.xlsx lines 2" in text.stdout and "onboarding." not in text.stdout
    as_json = json.loads(cli("figures", folder, "--format", "json").stdout)
    assert as_json["figures"] == _register(second_run, "H2-2013")["figures"]
    as_csv = cli("figures", folder, "--format", "csv", "--id", "onboarding.bodies").stdout.splitlines()
    assert as_csv[0].startswith("id,label,value") and as_csv[1].startswith("onboarding.bodies,")
    missing = cli("figures", folder, "--id", "nothing.*")
    assert missing.returncode == 2 and "no figure" in missing.stderr and "Traceback" not in missing.stderr


def test_diff_compares_two_registers(second_run, tmp_path):
    done = cli("diff", second_run / "H1-2013", second_run / "H2-2013", "--format", "json")
    assert done.returncode == 0
    diff = json.loads(done.stdout)
    changed = {d["id"]: d for d in diff["changed"]}
    overdue = changed["onboarding.overdue"]
    assert overdue["old"]["display"] == "0" and overdue["new"]["display"] == "1"
    assert overdue["inputs"] == [
        {
            "file": "bodies.xlsx",
            "lines_removed": [],
            "lines_added": [3],
            "rows": [0, 1],
            "filters": overdue["inputs"][0]["filters"],
        }
    ]
    assert "costs.forecast" in {d["id"] for d in diff["removed"]}
    assert "table.costs.H2-2013.central_programme" in {d["id"] for d in diff["added"]}
    assert "costs.central_programme_to_date" not in changed  # same value, same rows
    text = cli("diff", second_run / "H1-2013", second_run / "H2-2013").stdout
    assert "changed  onboarding.overdue: 0 -> 1" in text and "bodies.xlsx: lines only in new 3, rows 0 -> 1" in text
    same = cli("diff", second_run / "H1-2013", second_run / "H1-2013").stdout
    assert "The two registers hold the same figures." in same
    assert cli("diff", tmp_path, second_run / "H1-2013").returncode == 2
