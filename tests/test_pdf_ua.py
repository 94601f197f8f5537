"""The report's PDF checked by a PDF/UA-1 checker from PyPI, and its tag tree read with pikepdf (issue 10, item 10).

The checker is ``outloud`` (offline, no JVM; its conformance rules are calibrated against veraPDF,
its semantic rules go further). A real rendered report must give no error. One rule is waived:

- ``TBL-010`` ("header cells look shredded") is a heuristic that fires whenever a table has more
  header cells than data cells. The report's small tables have a header row and a row header per
  row (the delivery-confidence table: 3 column headers and 2 row headers over 4 data cells), and an
  empty table has one cell under its headers. Shredding is a header split over several rows: every
  table of the report has at most one row of header cells only, which ``test_tables_have_one_header_row`` checks.

Warnings are allowed, except that running headers and page numbers may not be content (PAG-001 for
them). The checker is shown to fail on the PDF as WeasyPrint writes it, before ``tagging.repair``.
"""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup

pytest.register_assert_rewrite("fixtures_reports")
from fixtures_reports import Run  # noqa: E402

pytest_plugins = ["fixtures_reports"]
pytestmark = pytest.mark.slow

WAIVED = {"TBL-010"}


def check(path):
    outloud = pytest.importorskip("outloud")
    result = outloud.check(str(path))
    assert result.error is None, result.error
    crashed = [(run.rule, run.reason) for run in result.runs if run.status == "crashed"]
    assert crashed == [], crashed
    return result


@pytest.fixture(scope="module")
def checked(rendered: Run):
    return check(rendered.pdf)


@pytest.fixture(scope="module")
def tree(rendered: Run):
    pikepdf = pytest.importorskip("pikepdf")
    with pikepdf.open(rendered.pdf) as pdf:
        root = pdf.Root.StructTreeRoot
        elements, stack, seen = [], [root], set()
        while stack:
            node = stack.pop()
            kids = node.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid and kid.objgen not in seen:
                    seen.add(kid.objgen)
                    elements.append(kid)
                    stack.append(kid)
        mapped = []
        nums = root.ParentTree.Nums
        for i in range(0, len(nums), 2):
            value = nums[i + 1]
            refs = list(value) if isinstance(value, pikepdf.Array) else [value]
            mapped += [ref for ref in refs if isinstance(ref, pikepdf.Dictionary)]
        contents = [page.Contents.read_bytes() for page in (p.obj for p in pdf.pages)]
        yield {"elements": elements, "seen": seen, "mapped": mapped, "contents": contents}


def kids_of(element) -> list:
    import pikepdf

    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
    return [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def test_the_checker_finds_no_error(checked):
    errors = [f"{f.rule} p.{f.page}: {f.message}" for f in checked.findings if f.severity == "error"]
    assert [e for e in errors if e.split()[0] not in WAIVED] == []
    assert checked.stats["tagged"] and checked.stats["pages"] > 5


def test_running_headers_and_page_numbers_are_not_content(checked, rendered: Run):
    title = BeautifulSoup(rendered.html.read_text(encoding="utf-8"), "html.parser").h1.get_text(" ", strip=True)
    pagination = [
        f
        for f in checked.findings
        if f.rule == "PAG-001"
        and (
            "page numbers" in f.message
            or "Status at publication" in (f.evidence or "")
            or title[:40] in (f.evidence or "")
        )
    ]
    assert pagination == []


def test_tables_have_one_header_row(rendered: Run):
    """What the waiver of TBL-010 rests on: no table's header is split over rows."""
    soup = BeautifulSoup(rendered.html.read_text(encoding="utf-8"), "html.parser")
    tables = soup.find_all("table")
    assert len(tables) > 10

    def header_rows(table) -> int:
        rows = [row.find_all(["th", "td"]) for row in table.find_all("tr")]
        return sum(1 for cells in rows if cells and all(cell.name == "th" for cell in cells))

    assert [t.caption.get_text(" ", strip=True) for t in tables if header_rows(t) > 1] == []


def test_header_cells_have_a_scope(tree):
    headers = [e for e in tree["elements"] if e.get("/S") == "/TH"]
    assert len(headers) > 50
    scopes = [str(e.A.get("/Scope")) for e in headers]
    assert set(scopes) == {"/Column", "/Row"}


def test_no_div_between_a_list_and_its_items(tree):
    lists = [e for e in tree["elements"] if e.get("/S") == "/L"]
    assert lists
    assert [str(k.get("/S")) for e in lists for k in kids_of(e) if k.get("/S") != "/LI"] == []
    # the headline tiles: one list item per tile, holding its label, figure and comparison
    tiles = [
        e
        for e in lists
        if len(kids_of(e)) >= 4
        and all(
            [str(b.get("/S")) for b in kids_of(item)] == ["/LBody"]
            and [str(p.get("/S")) for p in kids_of(kids_of(item)[0])] == ["/P", "/P", "/P"]
            for item in kids_of(e)
        )
    ]
    assert len(tiles) == 1


def test_margin_text_is_a_pagination_artifact_on_every_page(tree):
    # every marked-content id maps to an element of the tree (none to the left-out margin boxes)
    assert tree["mapped"] and all(ref.objgen in tree["seen"] for ref in tree["mapped"])
    # the running header (title, status) and the page number: at least three artifacts a page
    counts = [c.count(b"/Artifact\n<</Type /Pagination>>\nBDC") for c in tree["contents"]]
    assert min(counts) >= 3, counts


def test_the_checker_fails_the_pdf_before_repair(rendered: Run, tmp_path):
    """The PDF as WeasyPrint writes it (no ``tagging.repair``): the checker finds what the repair mends."""
    from weasyprint import HTML

    buffer = io.BytesIO()
    HTML(string=rendered.html.read_text(encoding="utf-8"), base_url=str(rendered.period)).write_pdf(
        buffer, pdf_variant="pdf/ua-1"
    )
    raw = tmp_path / "unrepaired.pdf"
    raw.write_bytes(buffer.getvalue())
    found = {f.rule for f in check(raw).findings}
    assert {"LST-001", "TBL-002", "PAG-001"} <= found
