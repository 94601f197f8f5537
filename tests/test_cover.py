"""The report's status and honesty (issue 10, item 8): the cover, the running header, published facts.

The cover names the issuer, the period, the date the data are as at, the status at publication
(Draft: clearance is recorded beside the report, ``run/signoff.py``) and the pack's note on its
data; every PDF page's running header gives the title (which names the period) and that status;
rows whose source cites a published report are marked, with a key. Screenshots of the cover (PDF
and HTML) and of a costs page are written to ``tests/artefacts/`` (git-ignored) for a person to
look at; the test checks they are the right size and not blank.
"""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

pytest.register_assert_rewrite("fixtures_reports")
from fixtures_reports import CHROMIUM, CHROMIUM_ARGS, DATA, ROOT, Run  # noqa: E402

from audit_pipeline.pack.programme import read_programme  # noqa: E402
from audit_pipeline.report import display, published  # noqa: E402
from audit_pipeline.report.render import cover_resources  # noqa: E402

pytest_plugins = ["fixtures_reports"]

ARTEFACTS = ROOT / "tests" / "artefacts"
PERIOD = types.SimpleNamespace(label="2013-14 Q4", start=pd.Timestamp("2014-01-01"), end=pd.Timestamp("2014-03-31"))


# --- published facts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("NAO, Shared service centres, HC 16, May 2016: latest estimate", True),
        ("Cabinet Office, Next Generation Shared Services strategy, December 2012 (as reported in NAO HC 1101)", True),
        ("Not collated: the total cost to participating departments had not been collated (NAO HC 1101)", True),
        ("Original forecast for the two centres (as reported in NAO HC 16, May 2016); as_at date illustrative", True),
        ("Committee of Public Accounts, Third Report of Session 2012-13", True),
        ("Cabinet Office programme accounts", False),
        ("Departmental cost return (illustrative)", False),
        ("Departmental savings forecast made in 2014-15 (illustrative)", False),
        ("Claimed saving, methodology as in NAO HC 16 (illustrative)", False),
        ("Department's own shared services strategy note (illustrative)", False),
        ("", False),
        (None, False),
        (float("nan"), False),
    ],
)
def test_published_is_decided_from_the_source_text(source, expected):
    assert published.is_published(source) is expected


def test_a_table_marks_published_sources_and_keys_the_mark():
    frame = pd.DataFrame(
        {"what": ["Estimate", "Return"], "source": ["NAO, Shared service centres, HC 16", "Departmental return"]}
    )
    html = display.table_html(frame, "Sources", {"what": "What", "source": "Source"}, sources="source")
    soup = BeautifulSoup(html, "html.parser")
    cells = [td.get_text(" ", strip=True) for td in soup.select("tbody td")]
    assert cells == ["Published: NAO, Shared service centres, HC 16", "Departmental return"]
    assert soup.select_one("p.table-key").get_text(" ", strip=True).startswith("Key: Published: the row's source")
    # without sources=, a column that happens to be named "source" is shown as it is, with no key
    plain = display.table_html(frame, "Sources", {"what": "What", "source": "Source"})
    assert "Published:" not in plain and "table-key" not in plain


# --- the cover's facts ---------------------------------------------------------------------------


def test_cover_resources_show_what_the_programme_gives():
    full = cover_resources({"issuer": "National Audit Office", "data_note": "Mostly illustrative."}, PERIOD)
    assert str(full["issuer"]) == "<bdi>National Audit Office</bdi>"
    assert str(full["period"]) == "<bdi>2013-14 Q4</bdi> (1 January 2014 to 31 March 2014)"
    assert full["as_at"] == "31 March 2014"
    assert str(full["data_note"]) == "<bdi>Mostly illustrative.</bdi>"
    bare = cover_resources({}, PERIOD)
    assert bare["issuer"] is None and bare["data_note"] is None
    # a name with markup stays text
    assert "&lt;script&gt;" in str(cover_resources({"issuer": "<script>x</script>"}, PERIOD)["issuer"])


def test_the_sample_pack_names_its_issuer_and_says_what_is_illustrative():
    programme = read_programme(DATA / "programme.yaml", [])
    assert programme["issuer"] == "National Audit Office"
    note = programme["data_note"]
    assert "illustrative" in note and "Published" in note and "Do not quote them as fact" in note


@pytest.mark.slow
def test_the_cover_shows_issuer_period_data_date_status_and_note(rendered: Run):
    soup = BeautifulSoup(rendered.html.read_text(encoding="utf-8"), "html.parser")
    header = soup.select_one("header.report-header")
    text = " ".join(header.get_text(" ", strip=True).split())
    note = " ".join(read_programme(DATA / "programme.yaml", [])["data_note"].split())
    for expected in (
        "Issued by: National Audit Office",
        "Period reported: 2013-14 Q4 (1 January 2014 to 31 March 2014)",
        "Data as at: 31 March 2014",
        "Status at publication: Draft · version 1",
        f"About the data: {note}",
    ):
        assert expected in text
    # the estimates that cite a published report are marked, and the key says what the mark means
    table = next(t for t in soup.find_all("table") if "Estimates in force" in t.caption.get_text())
    marks = [td.get_text(" ", strip=True) for td in table.select("td") if td.select_one(".published-mark")]
    assert marks and all("HC" in m for m in marks)
    assert table.find_next_sibling("p", class_="table-key") is not None


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.mark.slow
def test_every_pdf_page_has_the_running_header(rendered: Run):
    pages = pdf_pages(rendered.pdf)
    assert len(pages) > 5
    title = "Next Generation Shared Services: progress report for 2013-14 Q4"
    tops = [next(line for line in page.splitlines() if line.strip()) for page in pages]
    assert [n for n, top in enumerate(tops, 1) if title not in top or "Status at publication: Draft" not in top] == []
    assert "Issued by: National Audit Office" in pages[0] and "About the data:" in pages[0]


# --- screenshots, kept for a person to look at ------------------------------------------------------


def not_blank(path: Path, size: tuple[int, int]) -> float:
    """The share of pixels that are not white, once the image is checked to be ``size``."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.size == size, (path, image.size)
        grey = image.convert("L")
        histogram = grey.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


@pytest.mark.slow
def test_screenshots_of_the_cover_and_a_costs_page(rendered: Run):
    ARTEFACTS.mkdir(exist_ok=True)
    pages = pdf_pages(rendered.pdf)
    costs = next(n for n, page in enumerate(pages, 1) if "by type and in total, against the estimate" in page)
    shots = {"cover-pdf": 1, "costs-pdf": costs}
    for name, page in shots.items():
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(rendered.pdf)]
            + [str(ARTEFACTS / name)],
            check=True,
        )
        # A4 at 100 dots per inch; some ink, but far from all of it
        assert 0.02 < not_blank(ARTEFACTS / f"{name}.png", (827, 1170)) < 0.6, name
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium (make test does this as root)")
    html_shot = ARTEFACTS / "cover-html.png"
    html_shot.unlink(missing_ok=True)
    subprocess.run(
        [CHROMIUM, "--headless", *CHROMIUM_ARGS, "--hide-scrollbars", f"--screenshot={html_shot}"]
        + ["--window-size=1200,1500", rendered.html.resolve().as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert 0.02 < not_blank(html_shot, (1200, 1500)) < 0.6
