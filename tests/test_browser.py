"""The report and the index in a real browser (Debian's Chromium through Playwright), offline.

They load from file:// with no console error and no request beyond their own file; axe-core
finds no WCAG 2.2 A/AA violation; text from the data pack that looks like markup is shown
as text and never runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("fixtures_reports")
from fixtures_reports import CHROMIUM, CHROMIUM_ARGS, HOSTILE_TEXT, Run  # noqa: E402

pytest_plugins = ["fixtures_reports"]  # the session's pipeline runs, shared with test_documents.py
pytestmark = pytest.mark.slow

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium (make test does this as root)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A page opened from a file, with everything it asked for and said on the console."""

    def __init__(self, browser, path: Path, bypass_csp: bool = False):
        self.context = browser.new_context(bypass_csp=bypass_csp)
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:  # anything else (another file, any network address) is refused and recorded
            self.blocked.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def open_(path: Path, **kwargs) -> Visit:
        opened.append(Visit(browser, path, **kwargs))
        return opened[-1]

    yield open_
    for page in opened:
        page.close()


def _axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("which", ["html", "index"])
def test_loads_offline_without_errors_or_requests(visit, rendered: Run, which):
    page = visit(getattr(rendered, which))
    assert page.console == []
    assert page.failed == [] and page.blocked == []
    assert {u for u in page.requests if not u.startswith("data:")} == {page.url}
    assert page.page.title()
    assert page.page.locator("h1").count() == 1


def test_axe_core_bundle_is_local():
    """axe-playwright-python injects its own copy of axe-core: nothing is fetched."""
    from axe_playwright_python import base

    assert base.AXE_FILE_PATH.exists() and "axe v4" in base.AXE_SCRIPT[:200]


@pytest.mark.parametrize("which", ["html", "index"])
def test_no_wcag_22_aa_violations(visit, rendered: Run, which):
    page = visit(getattr(rendered, which))
    assert _axe_violations(page.page) == []
    assert page.blocked == []  # running axe fetched nothing either


def test_report_reads_as_a_report(visit, rendered: Run):
    page = visit(rendered.html).page
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    assert "2013-14 Q4" in page.title()
    text = page.inner_text("body")
    for fact in ("£9.8 million", "140,000", "2 of 13", "Contents", "Provenance"):
        assert fact in text
    for hidden in ("In [", "Out[", "load_context", "import "):
        assert hidden not in text
    assert page.locator("script").count() == 0
    # Every chart has its data-derived text alternative; every table a caption and header cells.
    alts = page.eval_on_selector_all("img", "els => els.map(e => e.alt)")
    assert alts and all(len(a) > 40 for a in alts)
    assert page.locator("table").count() == page.locator("table > caption").count() > 0
    assert page.locator("table:not(:has(th))").count() == 0
    # The contents link to the sections.
    for href in page.eval_on_selector_all("nav a", "els => els.map(e => e.getAttribute('href'))"):
        assert page.locator(href).count() == 1


def test_print_keeps_charts_and_short_tables_whole(visit, rendered: Run):
    page = visit(rendered.html).page
    page.emulate_media(media="print")
    style = "(sel) => getComputedStyle(document.querySelector(sel)).breakInside"
    assert page.evaluate(style, "figure.chart") == "avoid"
    assert page.evaluate(style, "table.keep") == "avoid"
    assert page.evaluate("getComputedStyle(document.querySelector('h2')).breakAfter") == "avoid"


def test_index_links_to_every_rendered_period(visit, rendered: Run):
    page = visit(rendered.index).page
    hrefs = page.eval_on_selector_all("main a", "els => els.map(e => e.getAttribute('href'))")
    assert sorted(hrefs) == [f"{rendered.period.name}/report.html", f"{rendered.period.name}/report.pdf"]
    for href in hrefs:
        assert (rendered.programme / href).exists()
    text = page.inner_text("main")
    assert "2013-14 Q4" in text and "£9.8 million" in text and "140,000" in text


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["as-published", "without-csp"])
def test_markup_in_the_data_is_shown_as_text_and_never_runs(visit, hostile: Run, bypass_csp):
    """With the report's Content-Security-Policy switched off too: escaping alone keeps it inert."""
    page = visit(hostile.html, bypass_csp=bypass_csp)
    page.page.wait_for_timeout(200)
    assert page.page.evaluate("window.__xss_ran") is None
    assert page.dialogs == []
    assert page.console == []
    assert page.blocked == []  # the <img src=x> never became a request
    text = page.page.inner_text("body")
    shown = {key: value for key, value in HOSTILE_TEXT.items() if key[3] != "evidence"}  # evidence is not in the report
    for value in shown.values():
        assert value in text
    assert page.page.locator("main script, main img:not(figure.chart img)").count() == 0
