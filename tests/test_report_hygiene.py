"""Document hygiene: data text never reorders its neighbours, never runs past the page, never becomes markup.

One real run (HTML and PDF) of a small pack whose free text holds a 350-character word (a body's
name, a recommendation's text, a period label) and a right-to-left override (U+202E) in a KPI
name; then the PDF's word boxes (poppler's ``pdftotext -bbox``) and the HTML laid out in
Chromium at A4 width. Chart text with ``$...$`` is drawn as it is, never as mathematics.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packbuilder import write_pack

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WORD = "W" * 350
RLO = "\u202e"
KPI_NAME = f"Invoices {RLO}paid on time"
A4_PX = 794  # 210 mm at 96 px per inch


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The latest period of the hygiene pack, published as HTML and PDF."""
    base = tmp_path_factory.mktemp("hygiene")
    pack = write_pack(
        base / "pack",
        cells={
            ("bodies", 0, "name"): WORD,
            ("recommendations", 0, "text"): f"Set out {WORD} a plan.",
            ("kpis", 0, "name"): KPI_NAME,
            ("periods", 1, "label"): "2013-14 " + "Q" * 200,
        },
    )
    env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(base / "cache")}
    command = [sys.executable, str(ROOT / "pipeline.py"), "run", "--data", str(pack), "--out", str(base / "out")]
    done = subprocess.run([*command, "--format", "html,pdf"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return base / "out" / "ngss" / "P2"


def _pdf_words(pdf: Path):
    """``(page width, xMin, xMax, word)`` of every word poppler finds in the PDF."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for width, body in re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', out, re.S):
        for xmin, xmax, word in re.findall(
            r'<word xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)"[^>]*>(.*?)</word>', body
        ):
            yield float(width), float(xmin), float(xmax), html.unescape(word)


def test_long_words_wrap_inside_the_pdf_page(report: Path):
    words = list(_pdf_words(report / "report.pdf"))
    outside = [(round(x1), w[:20]) for width, x0, x1, w in words if x0 < 0 or x1 > width]
    assert not outside, f"text past the page edge: {outside[:5]}"
    # Nothing is cut off: both 350-character words are there in full, wrapped over lines.
    assert sum(w.count("W") for *_, w in words) >= 2 * len(WORD)


@pytest.mark.slow
@pytest.mark.parametrize("media", ["screen", "print"])
def test_long_words_wrap_inside_an_a4_wide_window(report: Path, media: str):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for page_file in (report / "report.html", report.parent / "index.html"):
                page = browser.new_page(viewport={"width": A4_PX, "height": 1123})
                page.emulate_media(media=media)
                page.goto(page_file.as_uri())
                wide = page.evaluate(
                    """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                       [...document.querySelectorAll('p, li, td, th, dd, dt, caption, h1, h2, h3')]
                         .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))]"""
                )
                assert wide[0] <= wide[1], (
                    f"{page_file.name} ({media}) is {wide[0]}px wide in {wide[1]}px: {wide[2][:5]}"
                )
                assert not wide[2], f"{page_file.name} ({media}): elements overflow: {wide[2][:5]}"
                page.close()
        finally:
            browser.close()


def test_a_right_to_left_override_in_a_kpi_name_stays_in_the_name(report: Path):
    page = (report / "report.html").read_text(encoding="utf-8")
    # The name is a <bdi> of its own, its override closed (U+202C) inside it; the figure follows it.
    assert f"<bdi>{html.escape(KPI_NAME)}\u202c</bdi>: 97.0%" in page
    text = subprocess.run(["pdftotext", str(report / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "97.0%" in text and "%0.79" not in text


@pytest.mark.slow
def test_a_right_to_left_override_does_not_move_the_figures_after_it(report: Path):
    """In Chromium, the figure after the name is laid out to the right of the name, in its own order."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto((report / "report.html").as_uri())
            boxes = page.evaluate(
                """() => {
                  const cell = [...document.querySelectorAll('td')].find(td => td.textContent.includes('Invoices')
                                  && td.textContent.includes('97.0%'));
                  const name = cell.querySelector('bdi bdi');  // the KPI's name, inside the cell's own bdi
                  const after = name.nextSibling;  // the text node ": 97.0%"
                  const range = document.createRange();
                  range.setStart(after, after.textContent.indexOf('97.0%'));
                  range.setEnd(after, after.textContent.indexOf('97.0%') + 5);
                  const digits = [...'97.0%'].map((_, i) => { const r = document.createRange();
                      r.setStart(after, after.textContent.indexOf('97.0%') + i);
                      r.setEnd(after, after.textContent.indexOf('97.0%') + i + 1);
                      return r.getBoundingClientRect().left; });
                  return {name: name.getBoundingClientRect().right, figure: range.getBoundingClientRect().left,
                          top: [name.getBoundingClientRect().top, range.getBoundingClientRect().top], digits};
                }"""
            )
        finally:
            browser.close()
    if abs(boxes["top"][0] - boxes["top"][1]) < 2:  # same line: the figure comes after the name
        assert boxes["figure"] >= boxes["name"] - 1, boxes
    assert boxes["digits"] == sorted(boxes["digits"]), f"97.0% is drawn out of order: {boxes}"


@pytest.mark.parametrize("label", ["$x^2$", "$\\frac$", "a$b$c^_{", "\\(", "$$", "<b>bold</b>"])
def test_chart_text_is_never_read_as_mathematics(label):
    import matplotlib
    import pandas as pd

    from audit_pipeline.report import charts, display

    series = pd.DataFrame(
        {
            "label": [label, "2013-14 Q2"],
            "central_programme_cumulative": [1.0, 2.0],
            "departmental_implementation_cumulative": [0.0, 1.0],
            # every return collated (the counts say which amounts are known: ``charts.collated``)
            "central_programme_actual_rows_to_date": [1, 2],
            "central_programme_not_collated_to_date": [0, 0],
            "departmental_implementation_actual_rows_to_date": [1, 2],
            "departmental_implementation_not_collated_to_date": [0, 0],
        }
    )
    figure, alt = charts.cumulative_costs(series, None)
    figure.canvas.draw()
    texts = [t for t in figure.findobj(matplotlib.text.Text) if t.get_text()]
    assert label in [t.get_text() for t in texts]
    assert not [t.get_text() for t in texts if t.get_parse_math() or t.get_usetex()]
    assert display.svg_bytes(figure).startswith(b"<?xml")
    assert label in html.unescape(display.attr(alt))


def test_balanced_closes_what_a_text_opens():
    from audit_pipeline.report import bidi

    assert bidi.balanced("plain") == "plain"
    assert bidi.balanced(f"a{RLO}b") == f"a{RLO}b\u202c"
    assert bidi.balanced("a\u2069b\u202c") == "ab"  # closers with nothing to close are dropped
    assert bidi.balanced(f"\u2067x{RLO}y\u2069z") == f"\u2067x{RLO}y\u202c\u2069z"
    assert bidi.html(f"<{bidi.isolate(KPI_NAME)}>") == f"&lt;<bdi>{KPI_NAME}\u202c</bdi>&gt;"
    assert bidi.plain(f"from {bidi.isolate('2013-14 Q1')}") == "from 2013-14 Q1"  # no isolate needed
