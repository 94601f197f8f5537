"""No PDF page left more than half blank by a forced break (issue 10, item 10).

Sections follow on from one another; only the appendices (class ``appendix``: the figure register,
the provenance) start a new page, and only blocks shorter than half a page are kept whole. The fill of a page is measured from the PDF itself (PyMuPDF's
log of everything drawn on it: text, images, rules, chart paths): how far down the page's content
area its lowest mark reaches, the running header and page numbers in the margins left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytest.register_assert_rewrite("fixtures_reports")
from fixtures_reports import Run  # noqa: E402

from audit_pipeline.report.exporters.page import pdf_bytes, stylesheet  # noqa: E402

pytest_plugins = ["fixtures_reports"]
pytestmark = pytest.mark.slow

MM = 72 / 25.4
MARGIN_TOP, MARGIN_BOTTOM = 16 * MM, 18 * MM  # the @page margins of report.css
HALF = 0.5


def page_fills(pdf: Path | bytes) -> list[tuple[float, str]]:
    """For each page: the share of its content area filled from the top (0 to 1), and its first line."""
    pymupdf = pytest.importorskip("pymupdf")
    document = pymupdf.open(stream=pdf) if isinstance(pdf, bytes) else pymupdf.open(pdf)
    fills = []
    for page in document:
        width, height = page.rect.width, page.rect.height
        top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM
        lowest = top
        for _, box in page.get_bboxlog():
            rect = pymupdf.Rect(box)
            if rect.is_empty or rect.y1 <= top + 0.5 or rect.y0 >= bottom - 0.5:
                continue  # the running header, the page number
            if rect.width > 0.8 * width and rect.height > 0.8 * (bottom - top):
                continue  # the page's own background
            lowest = max(lowest, min(rect.y1, bottom))
        blocks = sorted((b for b in page.get_text("blocks") if b[1] > top and b[4].strip()), key=lambda b: b[1])
        first = blocks[0][4].strip().splitlines()[0] if blocks else ""
        fills.append(((lowest - top) / (bottom - top), first))
    document.close()
    return fills


def section_titles(html: str) -> tuple[set[str], set[str]]:
    """The headings that open the report's sections, and those of its appendices."""
    soup = BeautifulSoup(html, "html.parser")
    sections, appendices = set(), set()
    for section in soup.select("section.report-section"):
        heading = section.find(["h2"])
        if heading is not None:
            title = heading.get_text(" ", strip=True)
            (appendices if "appendix" in section.get("class", []) else sections).add(title)
    return sections, appendices


def half_blank_pages(fills: list[tuple[float, str]], appendices: set[str]) -> list:
    """Pages more than half blank, other than the last page and the last before an appendix (an appendix
    starts a page, so the page before it may end where the report's text ends): ``(page, fill, what follows)``."""
    found = []
    for number, ((fill, _), (_, next_first)) in enumerate(zip(fills, fills[1:], strict=False), start=1):
        if next_first not in appendices and fill < HALF:
            found.append((number, round(fill, 2), next_first))
    return found


def test_no_page_is_more_than_half_blank(rendered: Run):
    """Not before a section (sections follow on), nor before a table or chart kept whole (a table is
    kept whole only when it is shorter than half a page: ``display.KEEP_LINES``)."""
    html = rendered.html.read_text(encoding="utf-8")
    sections, appendices = section_titles(html)
    assert {"Costs and savings", "Recommendations"} <= sections and "Provenance" in appendices
    fills = page_fills(rendered.pdf)
    starts = [first for _, first in fills if first in sections]
    # sections follow on: some start part-way down a page (so fewer pages open with one than there are sections)
    assert len(starts) < len(sections) - 1, starts
    assert half_blank_pages(fills, appendices) == []
    # the appendices still start a page of their own
    assert {first for _, first in fills} >= appendices


def test_the_check_finds_pages_left_blank_by_forced_breaks():
    """The old stylesheet (every section on a new page) fails the check on a report of short sections."""
    sections = "".join(
        f'<section class="report-section" id="s{i}"><h2>Section {i}</h2><p>{"Short text. " * 120}</p></section>'
        for i in range(1, 5)
    )
    forced = "@media print { section.report-section + section.report-section { break-before: page; } }"
    page = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Pages</title>'
        f"<style>{stylesheet()}\n{{extra}}</style></head><body><main>{sections}</main></body></html>"
    )
    blank = half_blank_pages(page_fills(pdf_bytes(page.replace("{extra}", forced))), set())
    assert [(number, following) for number, _, following in blank] == [
        (1, "Section 2"),
        (2, "Section 3"),
        (3, "Section 4"),
    ]
    assert half_blank_pages(page_fills(pdf_bytes(page.replace("{extra}", ""))), set()) == []
