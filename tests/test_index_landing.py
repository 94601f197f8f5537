"""The programme index as a landing page (issue 10, item 11), on a real run of every period.

The latest period leads, with its status, version and headline figures beside the previous
period's; trend charts of the headline figures cover every published period (SVG, text
alternatives, data tables); each period's row states its change from the one before; a total
not collated stays "not collated" and an incomplete one "at least"; the page is byte-identical
when written again, has no WCAG 2.2 AA violation (axe-core) and is kept as a screenshot in
``tests/artefacts/index.png`` for a reviewer to look at.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytest.register_assert_rewrite("fixtures_register")
from fixtures_register import REGISTER_PERIODS  # noqa: E402
from fixtures_reports import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from audit_pipeline.run import signoff  # noqa: E402
from audit_pipeline.run.index import index_html  # noqa: E402

pytest_plugins = ["fixtures_register"]
pytestmark = pytest.mark.slow

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
NAME = "Next Generation Shared Services"


def _page(programme: Path, order=REGISTER_PERIODS) -> BeautifulSoup:
    return BeautifulSoup(index_html(programme, list(order), NAME), "html.parser")


def _figures(folder: Path) -> dict:
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in document["figures"]}


def _as_shown(entry: dict) -> str:
    """A total as the register shows it: "at least" before an incomplete one, "not collated" as it is."""
    if entry["display"] == "not collated" or entry["complete"]:
        return entry["display"]
    return "at least " + entry["display"]


def _rows(page: BeautifulSoup) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in page.select("table.index-table tbody tr")
    ]


def _chart_tables(page: BeautifulSoup) -> list[list[list[str]]]:
    return [
        [[c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
        for table in page.select(".index-trends details.chart-data table")
    ]


def test_the_latest_period_leads_with_its_status_version_and_the_period_before(register_run):
    page = _page(register_run)
    latest = page.select_one("section.index-latest")
    newest, before = REGISTER_PERIODS[-1], REGISTER_PERIODS[-2]
    labels = {
        pid: json.loads((register_run / pid / "metrics.json").read_text())["period_label"] for pid in (newest, before)
    }
    assert latest.h2.get_text(" ", strip=True) == f"Latest period: {labels[newest]}"
    manifest = json.loads((register_run / newest / "manifest.json").read_text(encoding="utf-8"))
    status = signoff.status(register_run / newest)
    assert f"Status: {status} · version {manifest['version']['sequence']}." in latest.get_text(" ", strip=True)
    figures = {dt.get_text(strip=True): dt.find_next_sibling("dd") for dt in latest.select("dt")}
    costs_now, costs_before = (
        _as_shown(_figures(register_run / pid)["costs.total_to_date"]) for pid in (newest, before)
    )
    assert figures["Implementation costs to date"].get_text(strip=True) == costs_now
    comparison = figures["Implementation costs to date"].find_next_sibling("dd").get_text(" ", strip=True)
    assert comparison in (
        f"Previously {costs_before} at {labels[before]}",
        f"Unchanged from {costs_before} at {labels[before]}",
    )
    assert costs_now.startswith("at least")  # departmental returns were not collated: never a plain total


def test_trend_charts_cover_every_published_period_with_text_and_data(register_run):
    page = _page(register_run)
    images = page.select(".index-trends figure.chart img")
    assert len(images) == 3
    labels = [json.loads((register_run / pid / "metrics.json").read_text())["period_label"] for pid in REGISTER_PERIODS]
    for img in images:
        assert img["src"].startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(img["src"].split(",", 1)[1])
        assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg
        assert labels[0] in img["alt"] and labels[-1] in img["alt"] and len(img["alt"]) > 80
    money, customers, recommendations = _chart_tables(page)
    for table in (money, customers, recommendations):
        assert [row[0] for row in table] == labels  # every period, oldest first
    for pid, row in zip(REGISTER_PERIODS, money, strict=True):
        figures = _figures(register_run / pid)
        assert row[1] == _as_shown(figures["costs.total_to_date"])
        assert row[2] == _as_shown(figures["savings.shared_services_to_date"])
    for pid, row in zip(REGISTER_PERIODS, recommendations, strict=True):
        rec = json.loads((register_run / pid / "metrics.json").read_text())["recommendations"]
        in_force = rec["total"] - rec["superseded"]  # the report's denominator: made, not superseded
        assert row[1:] == [f"{rec['implemented']:,}", f"{in_force:,}"]
    assert "at least" in images[0]["alt"] and "ringed" in images[0]["alt"]


def test_each_period_states_its_change_from_the_one_before(register_run):
    page = _page(register_run)
    rows = page.select("table.index-table tbody tr")
    assert len(rows) == len(REGISTER_PERIODS)
    for row, below in zip(rows, rows[1:], strict=False):
        cells, previous = row.find_all("td"), below.find_all("td")
        for cell, earlier in zip(cells[:4], previous[:4], strict=True):
            change = cell.select_one("span.change").get_text(strip=True)
            shown = earlier.find(string=True, recursive=False).strip()  # the figure, without its own change line
            now = cell.find(string=True, recursive=False).strip()
            if now.split(" (")[0] == shown.split(" (")[0]:
                assert change == "unchanged"
            else:
                assert change.startswith("previously ") and shown.startswith(change.removeprefix("previously "))
    assert rows[-1].select("span.change") == []  # the first period has no period before it


def test_not_collated_stays_not_collated_and_incomplete_stays_at_least(register_run, tmp_path):
    """Two periods copied; the later one's savings register says none was collated: the index never shows £0."""
    programme = tmp_path / "ngss"
    older, newer = REGISTER_PERIODS[-2], REGISTER_PERIODS[-1]
    for pid in (older, newer):
        (programme / pid).mkdir(parents=True)
        for name in ("metrics.json", "figures.json", "manifest.json"):
            shutil.copy2(register_run / pid / name, programme / pid / name)
    path = programme / newer / "figures.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for entry in document["figures"]:
        if entry["id"] == "savings.shared_services_to_date":
            entry.update(display="not collated", displays=["not collated"], complete=False)
    path.write_text(json.dumps(document), encoding="utf-8")
    page = _page(programme, [older, newer])
    newest_row = _rows(page)[0]
    assert newest_row[2].startswith("not collated") and "£0" not in newest_row[2]
    assert newest_row[1].startswith("at least")
    money = _chart_tables(page)[0]
    assert money[-1][2] == "not collated" and money[0][2].startswith("at least")
    alt = page.select(".index-trends figure.chart img")[0]["alt"]
    assert "Programme savings to date are not drawn for" in alt and "not zero" in alt
    latest = page.select_one("section.index-latest").get_text(" ", strip=True)
    assert "Programme savings to date (shared services) not collated" in latest


def test_the_index_is_byte_identical_when_written_again(register_run):
    published = (register_run / "index.html").read_text(encoding="utf-8")
    assert index_html(register_run, list(REGISTER_PERIODS), NAME) == published
    assert index_html(register_run, list(REGISTER_PERIODS), NAME) == published


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_landing_page_in_a_browser_has_no_wcag_violation_and_is_kept_as_a_screenshot(register_run, browser):
    from axe_playwright_python.sync_playwright import Axe
    from PIL import Image

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    url = (register_run / "index.html").resolve().as_uri()

    def route(route):  # the page's own file and data: URLs load; anything else is refused and recorded
        requests.append(route.request.url)
        if route.request.url == url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(url, wait_until="load")
        options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
        violations = Axe().run(page, options={**options, "resultTypes": ["violations"]}).response["violations"]
        assert [f"{v['id']}: {[n['target'] for n in v['nodes'][:5]]}" for v in violations] == []
        assert {u for u in requests if not u.startswith("data:")} == {url}
        # Every trend chart is drawn (the browser decoded its SVG) and fits the page without scrolling sideways.
        sizes = page.eval_on_selector_all(
            ".index-trends img", "els => els.map(e => [e.naturalWidth, e.getBoundingClientRect().right])"
        )
        assert len(sizes) == 3 and all(natural > 300 and right <= 1280 for natural, right in sizes), sizes
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # The data tables open from their summary.
        page.locator("details.chart-data summary").first.click()
        assert page.locator("details.chart-data table").first.is_visible()
        page.locator("details.chart-data summary").first.click()
        ARTEFACTS.mkdir(exist_ok=True)
        shot = ARTEFACTS / "index.png"
        shot.write_bytes(page.screenshot(full_page=True))
        box = page.locator(".index-trends img").first.bounding_box()
    finally:
        context.close()
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.width == 1280 and image.height > 1500
    chart = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    colours = chart.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 20, "the first chart in the screenshot is blank"  # lines, markers, text in several colours
