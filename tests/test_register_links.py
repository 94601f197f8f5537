"""The figure register's links work: in the PDF (pypdf) and in a browser, where axe finds no
WCAG 2.2 AA violation in a report with the appendix and auditor's commentary (issue 9, item 3).

PDF: every internal link annotation points at a named destination that exists and lands on a
page of the document, and every figure of figures.json has its destination (``fig-<id>``).
Browser: every figure link's target exists in the "Figure register" appendix, following one
works without JavaScript, and the report of the second pack (XLSX, commentary) passes axe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from audit_pipeline.report.register import anchor

pytest_plugins = ["fixtures_register"]


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _link_targets(reader: PdfReader) -> list[str]:
    """The named destination of each internal link annotation of the PDF."""
    targets = []
    for page in reader.pages:
        for annotation in _resolve(page.get("/Annots")) or []:
            annotation = _resolve(annotation)
            if annotation.get("/Subtype") != "/Link":
                continue
            action = _resolve(annotation.get("/A")) or {}
            dest = annotation.get("/Dest") or (action.get("/D") if action.get("/S") == "/GoTo" else None)
            if dest is not None:
                targets.append(str(_resolve(dest)))
    return targets


def _check_pdf(folder: Path) -> None:
    reader = PdfReader(folder / "report.pdf")
    named = reader.named_destinations
    targets = _link_targets(reader)
    figure_links = [t for t in targets if t.startswith("fig-")]
    assert figure_links, "the PDF has no link to the figure register"
    missing = sorted({t for t in targets if t not in named})
    assert missing == [], f"links to destinations that do not exist: {missing[:10]}"
    pages = len(reader.pages)
    for name in set(targets):
        page = reader.get_destination_page_number(named[name])
        assert 0 <= page < pages, name
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    entries = {anchor(e["id"]) for e in document["figures"]}
    assert entries <= set(named), f"register entries without a destination: {sorted(entries - set(named))[:10]}"
    # The links land in the appendix: after the page where the register starts.
    start = min(reader.get_destination_page_number(named[n]) for n in entries)
    assert all(reader.get_destination_page_number(named[t]) >= start for t in figure_links)


def test_pdf_links_of_the_sample_pack_resolve(register_run):
    _check_pdf(register_run / "2013-14-Q4")


def test_pdf_links_of_the_second_pack_resolve(second_run):
    _check_pdf(second_run / "H1-2013")


# -- in a browser (Chromium through Playwright, offline), with axe


@pytest.fixture(scope="module")
def browser():
    from fixtures_reports import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, path: Path):
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
    )
    page.goto(path.resolve().as_uri(), wait_until="load")
    return context, page


@pytest.mark.slow
@pytest.mark.parametrize("period", ["H1-2013", "H2-2013"])
def test_second_pack_report_with_commentary_passes_axe(browser, second_run, period):
    from axe_playwright_python.sync_playwright import Axe
    from test_browser import WCAG_TAGS

    context, page = _open(browser, second_run / period / "report.html")
    try:
        assert page.locator("#figure-register .register-entry").count() > 0
        assert page.locator(".commentary, .no-conclusion").count() > 0
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        violations = Axe().run(page, options=options).response["violations"]
        assert [f"{v['id']}: {[n['target'] for n in v['nodes'][:5]]}" for v in violations] == []
    finally:
        context.close()


@pytest.mark.slow
def test_figure_links_lead_to_the_register_without_javascript(browser, register_run):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        url = (register_run / "2013-14-Q4" / "report.html").resolve().as_uri()
        page.goto(url, wait_until="load")
        hrefs = page.eval_on_selector_all("a.figure-ref", "els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) > 20
        appendix = set(page.eval_on_selector_all("#figure-register [id]", "els => els.map(e => e.id)"))
        assert {h[1:] for h in hrefs} <= appendix
        page.locator("a.figure-ref").first.click()
        target = page.evaluate("location.hash")
        assert target == hrefs[0]
        assert page.locator(f"[id='{target[1:]}']").is_visible()
    finally:
        context.close()
