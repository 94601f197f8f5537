"""What reviewers receive: report.html, report.pdf and index.html, checked as documents.

No code reaches them; the PDF is A4, tagged (headings, tables, figures with their text
alternatives) and has bookmarks; the same inputs give the same bytes; the exporters work
from the nbconvert command line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytest.register_assert_rewrite("fixtures_reports")
from fixtures_reports import ROOT, Run  # noqa: E402

pytest_plugins = ["fixtures_reports"]  # the session's pipeline runs, shared with test_browser.py
pytestmark = pytest.mark.slow

A4_POINTS = (595.28, 841.89)
HEADLINES = ("£9.8 million", "140,000", "2 of 13", "£3.2 million")


def notebook_code_lines() -> list[str]:
    """Every line of code in the section notebooks (their jupytext twins), without comments."""
    lines = []
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("  #")[0].strip()
            if code and not code.startswith("#"):
                lines.append(code)
    return sorted(set(lines))


@pytest.fixture(scope="module")
def soup(rendered: Run) -> BeautifulSoup:
    return BeautifulSoup(rendered.html.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def pdf(rendered: Run):
    from pypdf import PdfReader

    return PdfReader(rendered.pdf)


@pytest.fixture(scope="module")
def pdf_text(pdf) -> str:
    return "\n".join(page.extract_text() for page in pdf.pages)


def structure(pdf) -> list[dict]:
    """Every element of the PDF's structure tree, depth first."""
    found, stack = [], [pdf.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        found.append(node)
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and "/S" in kid:
                stack.append(kid)
    return found


def outline_titles(items) -> list[str]:
    titles = []
    for item in items:
        titles.extend(outline_titles(item) if isinstance(item, list) else [item.title])
    return titles


def test_notebooks_have_code_to_look_for():
    lines = notebook_code_lines()
    assert "S.headlines(ctx)" in lines and "from audit_pipeline.report.sections import summary as S" in lines


def test_no_code_or_prompts_in_the_html(soup):
    text = soup.get_text(" ")
    assert [line for line in notebook_code_lines() if line in text] == []
    raw = str(soup)
    for trace in ("jp-InputArea", "jp-InputPrompt", "highlight-ipynb", "In&nbsp;[", "Out[", "Traceback"):
        assert trace not in raw


def test_no_code_in_the_pdf(pdf_text):
    flat = re.sub(r"\s+", " ", pdf_text)
    assert [line for line in notebook_code_lines() if re.sub(r"\s+", " ", line) in flat] == []
    assert "Traceback" not in flat and "In [" not in flat


def test_html_is_self_contained_and_scriptless(soup):
    assert soup.find("script") is None and soup.find("link") is None and soup.find("iframe") is None
    references = [tag.get(attr) for tag in soup.find_all(True) for attr in ("src", "href") if tag.get(attr)]
    assert references and all(ref.startswith(("#", "data:")) for ref in references)
    css = "".join(style.get_text() for style in soup.find_all("style"))
    assert "@import" not in css and "url(" not in css
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in policy


def test_html_title_language_and_headings(soup):
    assert soup.html["lang"] == "en-GB"
    assert soup.title.get_text() == "Next Generation Shared Services: progress report for 2013-14 Q4"
    assert len(soup.find_all("h1")) == 1
    headings = soup.find_all(["h1", "h2", "h3"])
    assert len(headings) > 10
    for heading in headings:
        assert "¶" not in heading.get_text() and heading.find("a") is None


def test_tables_have_captions_and_header_cells(soup):
    tables = soup.find_all("table")
    assert len(tables) > 10
    for table in tables:
        assert table.caption and table.caption.get_text(strip=True), table
        assert table.thead and all(th.get("scope") == "col" for th in table.thead.find_all("th"))


def test_every_chart_has_its_data_derived_text_alternative(soup):
    images = soup.find_all("img")
    assert len(images) >= 5
    for img in images:
        assert img.find_parent("figure") is not None and img.find_parent("figure").figcaption
        assert img["src"].startswith("data:image/svg+xml;base64,")
        assert len(img["alt"]) > 40 and "without a text alternative" not in img["alt"]
    alts = " ".join(img["alt"] for img in images)
    assert "£9.8 million" in alts and "8 had been" in alts and "Implemented 2" in alts


def test_print_stylesheet_is_a4_and_keeps_blocks_whole(soup):
    css = "".join(style.get_text() for style in soup.find_all("style"))
    assert re.search(r"@page\s*{[^}]*size:\s*A4", css)
    assert "@media print" in css
    assert re.search(r"figure\.chart\s*{[^}]*break-inside:\s*avoid", css)
    assert re.search(r"table\.report-table\.keep\s*{[^}]*break-inside:\s*avoid", css)


def test_pdf_holds_the_headline_figures(pdf_text):
    flat = re.sub(r"\s+", " ", pdf_text)
    for figure in HEADLINES:
        assert figure in flat


def test_pdf_is_a4(pdf):
    assert len(pdf.pages) > 3
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1


def test_pdf_is_tagged(pdf):
    catalog = pdf.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    assert str(catalog["/Lang"]) == "en-GB"
    kinds = {str(node.get("/S")) for node in structure(pdf)}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/Caption", "/Figure", "/L", "/LI"} <= kinds


def test_pdf_figures_carry_the_charts_text_alternatives(pdf, soup):
    figures = [node for node in structure(pdf) if node.get("/S") == "/Figure"]
    assert sorted(str(f.get("/Alt")) for f in figures) == sorted(img["alt"] for img in soup.find_all("img"))


def test_pdf_has_bookmarks_for_every_section(pdf, soup):
    titles = outline_titles(pdf.outline)
    sections = [h.get_text(strip=True) for h in soup.select("main h2")]
    assert sections and all(title in titles for title in sections)
    assert pdf.metadata.title == soup.title.get_text()


def test_index_lists_every_period_newest_first(rendered: Run, tmp_path):
    """Three published periods (one without a PDF), in the pack's order, newest first."""
    from audit_pipeline.run.index import index_html

    metrics = json.loads((rendered.period / "metrics.json").read_text(encoding="utf-8"))
    programme = tmp_path / "ngss"
    for period_id, label, pdf in [
        ("2013-14-Q2", "2013-14 Q2", True),
        ("2013-14-Q4", "2013-14 Q4", True),
        ("2013-14-Q3", "2013-14 Q3", False),
    ]:
        folder = programme / period_id
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({**metrics, "period_id": period_id, "period_label": label}))
        if pdf:
            shutil.copyfile(rendered.pdf, folder / "report.pdf")
    (programme / ".staging-2014-15-Q1-1-2").mkdir()
    page = BeautifulSoup(index_html(programme, ["2013-14-Q2", "2013-14-Q3", "2013-14-Q4"], "NGSS"), "html.parser")
    rows = page.select("table.index-table tbody tr")  # the periods' table (the trend charts have tables too)
    assert [row.th.get_text(strip=True) for row in rows] == ["2013-14 Q4", "2013-14 Q3", "2013-14 Q2"]
    assert [a["href"] for a in rows[1].find_all("a")] == ["2013-14-Q3/report.html"]
    assert [a["href"] for a in rows[0].find_all("a")] == ["2013-14-Q4/report.html", "2013-14-Q4/report.pdf"]
    assert "at least £9.8 million" in rows[0].get_text() and "140,000" in rows[0].get_text()
    assert page.html["lang"] == "en-GB" and page.title.get_text() == "Audit reports: NGSS"
    assert all(table.caption for table in page.find_all("table")) and page.find("script") is None


def test_published_index_is_accessible_html(rendered: Run):
    page = BeautifulSoup(rendered.index.read_text(encoding="utf-8"), "html.parser")
    assert page.html["lang"] == "en-GB" and page.title.get_text(strip=True)
    assert page.find("main") and page.table.caption and page.find("script") is None


def _jupyter_nbconvert() -> list[str]:
    bin_dir = Path(sys.executable).parent
    jupyter = bin_dir / "jupyter"
    return [str(jupyter), "nbconvert"] if jupyter.exists() else [str(bin_dir / "jupyter-nbconvert")]


def test_nbconvert_exporters_for_analysts(rendered: Run, tmp_path):
    """`jupyter nbconvert --to audit_pipeline.report.exporters.ReportPDFExporter` gives a tagged A4 PDF; the
    HTML exporter gives the reviewers' HTML of one section, without code."""
    from pypdf import PdfReader

    from audit_pipeline.report.exporters import ReportHTMLExporter

    notebook = shutil.copy(rendered.period / "notebooks" / "02_costs_savings.ipynb", tmp_path)
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [*_jupyter_nbconvert(), "--to", "audit_pipeline.report.exporters.ReportPDFExporter", str(notebook)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reader = PdfReader(tmp_path / "02_costs_savings.pdf")
    assert "/StructTreeRoot" in reader.trailer["/Root"] and len(reader.outline) > 0
    assert "Costs and savings" in reader.pages[0].extract_text()

    html, _ = ReportHTMLExporter().from_filename(str(notebook))
    page = BeautifulSoup(html, "html.parser")
    assert page.title.get_text() == "Costs and savings" and page.find("script") is None
    assert "load_context" not in page.get_text() and page.find("table").caption


def test_same_inputs_give_byte_identical_documents(rendered: Run, rerendered: Run):
    assert rendered.html.read_bytes() == rerendered.html.read_bytes()
    assert rendered.pdf.read_bytes() == rerendered.pdf.read_bytes()
