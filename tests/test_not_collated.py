"""Missing is never zero; incomplete is never total (issue 10, item 3).

A ``not_collated`` return is missing data (docs/DATA_CONTRACT.md): a value with only
not-collated returns is shown as "not collated" (tables, index) or as a marked gap (charts),
never as 0 or £0; a total that a not-collated return would enter says "at least" wherever it is
shown (tiles, tables, prose, index), and the figure register's ``complete`` flag agrees.

First worked by hand on tests/fixtures/hand_pack, section by section in this process; then on
every period of the sample pack through ``pipeline.py run --all`` (HTML), checked against
expectations computed here from costs.csv and savings.csv with the csv module.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fixtures_register import DATA, run_pipeline

from audit_pipeline.measures import finance
from audit_pipeline.report.context import load_context
from audit_pipeline.report.register import METADATA_KEY, plain
from audit_pipeline.report.sections import costs, summary
from audit_pipeline.run.index import headline_row

HAND = Path(__file__).parent / "fixtures" / "hand_pack"


def _html_and_entries(output) -> tuple[str, dict]:
    data = output._repr_html_()
    html, metadata = data if isinstance(data, tuple) else (data, {})
    return html, {e["id"]: e for e in metadata.get(METADATA_KEY, [])}


def _text(html: str) -> str:
    """Visible text, one space between words, none inside brackets or before punctuation."""
    text = re.sub(r"\s+", " ", plain(BeautifulSoup(html, "html.parser").get_text(" ")))
    return re.sub(r"\( ", "(", re.sub(r" ([).,;:])", r"\1", text))


def _rows(html: str) -> dict[str, list[str]]:
    """A table's body rows by their first cell: the cells' text."""
    soup = BeautifulSoup(html, "html.parser")
    rows = {}
    for tr in soup.select("tbody tr"):
        cells = [plain(c.get_text(" ", strip=True)) for c in tr.find_all(["th", "td"])]
        rows[cells[0]] = cells[1:]
    return rows


# -- by hand, on the hand pack: A has b2's departmental return not collated (none collated);
# B has b2's 0.7 collated and b3's not collated, and b1's shared services savings not collated.


@pytest.fixture(scope="module")
def hand():
    return {p: load_context(HAND, p) for p in ("A", "B")}


def test_series_count_collated_and_not_collated_returns(hand):
    ctx = hand["B"]
    series = finance.cost_series(ctx.tables["costs"], ctx.tables["periods"], ctx.period).set_index("period_id")
    dep = "departmental_implementation"
    assert (series.at["A", f"{dep}_actual_rows"], series.at["A", f"{dep}_not_collated"]) == (0, 1)
    assert (series.at["B", f"{dep}_actual_rows"], series.at["B", f"{dep}_not_collated"]) == (1, 1)
    assert (series.at["B", f"{dep}_actual_rows_to_date"], series.at["B", f"{dep}_not_collated_to_date"]) == (1, 2)
    assert series.at["B", f"{dep}_cumulative"] == 0.7


def test_a_period_with_no_collated_return_is_not_collated_never_zero(hand):
    html, entries = _html_and_entries(costs.cost_table(hand["B"]))
    rows = _rows(html)
    # Period | Central | Departmental, collated | Central to date | Returns not collated
    assert rows["2014-15 Q1"][:3] == ["1.1", "not collated", "1.1"]
    assert rows["2014-15 Q2"][:3] == ["2.2", "at least 0.7", "3.3"]
    a, b = entries["table.costs.A.departmental_implementation"], entries["table.costs.B.departmental_implementation"]
    assert (a["display"], a["complete"]) == ("not collated", False)
    assert (b["display"], b["complete"]) == ("0.7", False)
    assert entries["table.costs.B.central_programme"]["complete"] is True
    assert [i["lines"] for i in a["inputs"]] == [[], [3]]  # no actual row; the not-collated one, line 3


def test_headline_tiles_say_at_least_and_the_register_agrees(hand):
    html, entries = _html_and_entries(summary.headlines(hand["B"]))
    text = _text(html)
    # 1.1 + 2.2 central + 0.7 departmental = 4.0, with b2 (A) and b3 (B) not collated
    assert "Implementation costs to date at least £4 million" in text
    # shared services 1.0 (A) - 0.3 (B), b1's B return not collated
    assert "Programme savings to date (shared services only) at least £0.7 million" in text
    assert entries["costs.total_to_date"]["complete"] is False
    assert entries["savings.shared_services_to_date"]["complete"] is False
    html, entries = _html_and_entries(summary.headlines(hand["A"]))
    assert "(shared services only) £1 million" in _text(html)  # nothing missing at A: a plain total
    assert entries["savings.shared_services_to_date"]["complete"] is True


def test_prose_and_charts_never_show_a_missing_value_as_zero(hand):
    text = _text(_html_and_entries(costs.cost_text(hand["A"]))[0])
    assert "No departmental implementation costs have been collated: 1 body has not reported them." in text
    html, entries = _html_and_entries(costs.cost_chart(hand["A"]))
    alt = BeautifulSoup(html, "html.parser").img["alt"]
    assert "departmental costs collated to date: not collated" in alt and "£0" not in alt
    assert "Departmental costs were not collated for 2014-15 Q1" in _text(html)  # the note under the chart
    assert entries["chart.costs.departmental_implementation.A"]["display"] == "not collated"
    text = _text(_html_and_entries(costs.cost_text(hand["B"]))[0])
    assert "collated to date are at least £0.7 million (2 bodies' costs not collated)" in text
    html, _ = _html_and_entries(costs.savings_chart(hand["B"]))
    assert "Shared services (programme) at least £0.7 million" in BeautifulSoup(html, "html.parser").img["alt"]
    assert "Shared services savings in 2014-15 Q2 are at least the amount drawn" in _text(html)


def test_the_index_says_at_least_and_not_collated():
    """An index row, worked by hand: departmental costs wholly not collated and one savings return
    missing. The register's flags (figures.json) decide; without figures.json, metrics.json does."""
    metrics = {
        "period_label": "Period B",
        "_folder": "B",
        "_pdf_bytes": None,
        "costs": {"central_programme_to_date_gbp_m": 1.1, "departmental_to_date_gbp_m": 0.0},
        "savings": {"shared_services_to_date_gbp_m": 1.0, "not_collated_rows": 1},
        "onboarding": {"customers_served": 10},
        "recommendations": {"implemented": 1, "total": 2, "implementation_rate": 0.5},
    }
    metrics["costs"]["departmental_not_collated_bodies"] = 1
    metrics["_figures"] = {
        "costs.total_to_date": {"id": "costs.total_to_date", "display": "£1.1 million", "complete": False},
        "costs.departmental_to_date": {"id": "costs.departmental_to_date", "display": "not collated"},
        "savings.shared_services_to_date": {"display": "£1 million", "complete": False},
    }
    row = headline_row(metrics)
    assert (
        row["costs"] == "at least £1.1 million (central programme; departmental costs not collated, 1 body's returns)"
    )
    assert row["savings"] == "at least £1 million (1 savings return not collated)"
    metrics["_figures"] = {}  # a folder without figures.json: from metrics.json alone
    assert headline_row(metrics)["costs"].startswith("at least £1.1 million")
    assert headline_row(metrics)["savings"].startswith("at least £1 million")


# -- every period of the sample pack, end to end


def _pack_rows(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _expected() -> dict:
    """Per period, from the pack's files: which values are missing or incomplete."""
    periods = _pack_rows("periods.csv")
    order = [p["period_id"] for p in sorted(periods, key=lambda p: p["start_date"])]
    labels = {p["period_id"]: p["label"] for p in periods}
    cost_rows, saving_rows = _pack_rows("costs.csv"), _pack_rows("savings.csv")
    out = {}
    for index, pid in enumerate(order):
        up_to = set(order[: index + 1])

        def count(rows, column, kind, status, within):
            return sum(1 for r in rows if r["period_id"] in within and r[column] == kind and r["status"] == status)

        cells = {}
        for q in order[: index + 1]:
            dep = [
                count(cost_rows, "cost_type", "departmental_implementation", s, {q}) for s in ("actual", "not_collated")
            ]
            cells[labels[q]] = dep
        out[pid] = {
            "label": labels[pid],
            "cells": cells,  # departmental per period: (actual rows, not-collated rows)
            "costs_missing": sum(
                count(cost_rows, "cost_type", k, "not_collated", up_to)
                for k in ("central_programme", "departmental_implementation")
            ),
            "departmental": [
                count(cost_rows, "cost_type", "departmental_implementation", s, up_to)
                for s in ("actual", "not_collated")
            ],
            "savings_missing": count(saving_rows, "attribution", "shared_services", "not_collated", up_to),
        }
    return out


EXPECTED = _expected()
ALL = sorted(EXPECTED)


@pytest.fixture(scope="module")
def every_period(tmp_path_factory) -> Path:
    """The programme folder of ``pipeline.py run --all --format html --jobs 2`` on the sample pack."""
    base = tmp_path_factory.mktemp("not-collated")
    done = run_pipeline(
        base / "out", "run", "--data", str(DATA), "--all", "--format", "html", "--jobs", "2", cache=base / "cache"
    )
    assert done.returncode == 0, done.stderr
    return base / "out" / "ngss"


def _report(folder: Path):
    soup = BeautifulSoup((folder / "report.html").read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script", "head"]):
        tag.decompose()
    for section_id in ("figure-register", "provenance"):
        found = soup.find(id=section_id)
        if found is not None:
            found.decompose()
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    return soup, {e["id"]: e for e in figures}


def _caption_table(soup, start: str):
    """The table whose caption, after its figure number ("Figure 4: "), starts with ``start``."""
    return next(
        t
        for t in soup.find_all("table")
        if t.caption and re.sub(r"^Figure \d+:\s*", "", t.caption.get_text(" ", strip=True)).startswith(start)
    )


@pytest.mark.parametrize("period", ALL)
def test_never_zero(every_period, period):
    """No cell, tile, sentence or chart point shows 0 or £0 for a return that was not collated."""
    expected = EXPECTED[period]
    soup, entries = _report(every_period / period)
    table = _caption_table(soup, "Actual implementation costs by period")
    headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    column = headers.index("Departmental, collated (£ million)")
    for tr in table.select("tbody tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        actual, missing = expected["cells"][cells[0]]
        shown = cells[column]
        if missing and not actual:
            assert shown == "not collated", f"{period}, {cells[0]}: {shown!r}"
        elif missing:
            assert shown.startswith("at least ") and float(shown.removeprefix("at least ")) > 0, (
                period,
                cells[0],
                shown,
            )
        else:
            assert not shown.startswith(("at least", "not collated")), (period, cells[0], shown)
    text = re.sub(r"\s+", " ", soup.get_text(" ") + " " + " ".join(i.get("alt", "") for i in soup.find_all("img")))
    actual, missing = expected["departmental"]
    if missing and not actual:
        assert entries["costs.departmental_to_date"]["display"] == "not collated"
        assert "No departmental implementation costs have been collated" in text
        assert re.search(r"departmental[^.;]*£0(\.0)? million", text, re.I) is None, period
    for figure_id, entry in entries.items():
        if figure_id.startswith(("chart.costs.", "table.costs.", "chart.savings.")) and entry["display"] in (
            "0.0",
            "£0 million",
        ):
            assert all("not_collated" not in i["filter"] for i in entry["inputs"]), f"{period}: {figure_id} shows 0"
    index = BeautifulSoup((every_period / "index.html").read_text(encoding="utf-8"), "html.parser")
    row = next(
        tr for tr in index.select("table.index-table tbody tr") if tr.th.get_text(strip=True) == expected["label"]
    )
    cost_cell = row.find_all("td")[0].get_text(" ", strip=True)
    assert "£0 million" not in cost_cell
    if missing and not actual:
        assert "departmental costs not collated" in cost_cell, cost_cell


@pytest.mark.parametrize("period", ALL)
def test_at_least(every_period, period):
    """Every total that a not-collated return enters says "at least": tiles, prose, tables, index;
    each incomplete figure linked in prose or tiles is preceded by "at least", as the register says."""
    expected = EXPECTED[period]
    soup, entries = _report(every_period / period)
    tiles = {
        tile.select_one(".label").get_text(" ", strip=True): tile.select_one(".figure").get_text(" ", strip=True)
        for tile in soup.select(".headline")
    }
    costs_tile = tiles["Implementation costs to date"]
    savings_tile = tiles["Programme savings to date (shared services only)"]
    assert costs_tile.startswith("at least ") == bool(expected["costs_missing"]), (period, costs_tile)
    assert savings_tile.startswith("at least ") == bool(expected["savings_missing"]), (period, savings_tile)
    assert entries["costs.total_to_date"]["complete"] == (not expected["costs_missing"])
    assert entries["savings.shared_services_to_date"]["complete"] == (not expected["savings_missing"])
    summary_text = soup.find(id="executive-summary") or soup
    words = re.sub(r"\s+", " ", summary_text.get_text(" "))
    if expected["costs_missing"]:
        assert "implementation costs reported to date were at least £" in words, period
    if expected["savings_missing"]:
        assert "Savings attributed to shared services to date were at least £" in words, period
    # Every link to an incomplete figure (prose, tiles) reads "at least <figure>" (or "not collated").
    for link in soup.select("a.figure-ref"):
        entry = entries.get(link["href"].removeprefix("#fig-"))
        if entry is None or entry.get("complete", True) or link.get_text(strip=True) == "not collated":
            continue
        before = link.previous_sibling
        assert isinstance(before, str) and before.rstrip().endswith("at least"), (
            f"{period}: {entry['id']} shown as a total"
        )
    # Every table cell of an incomplete figure says "at least" (the savings and costs tables).
    table = _caption_table(soup, "Actual savings to date by attribution")
    shared = table.select("tbody tr")[0].find_all(["th", "td"])[1].get_text(" ", strip=True)
    assert shared.startswith("at least ") == bool(expected["savings_missing"]), (period, shared)
    index = BeautifulSoup((every_period / "index.html").read_text(encoding="utf-8"), "html.parser")
    row = next(
        tr for tr in index.select("table.index-table tbody tr") if tr.th.get_text(strip=True) == expected["label"]
    )
    cost_cell, savings_cell = (td.get_text(" ", strip=True) for td in row.find_all("td")[:2])
    assert cost_cell.startswith("at least ") == bool(expected["costs_missing"]), (period, cost_cell)
    assert savings_cell.startswith("at least ") == bool(expected["savings_missing"]), (period, savings_cell)


def test_a_pack_with_no_collated_return_shows_no_zero(tmp_path):
    """packbuilder's pack, with every cost and the shared services savings return of P1 not
    collated: the tiles, table and sentences say "not collated", never £0 or "at least £0"."""
    from packbuilder import COLUMNS, default_tables, write_pack

    tables = default_tables()
    tables["costs"] = [
        dict(zip(COLUMNS["costs"], ("P1", "B1", "central_programme", "", "not_collated", ""), strict=True)),
        dict(zip(COLUMNS["costs"], ("P1", "B2", "departmental_implementation", "", "not_collated", ""), strict=True)),
    ]
    tables["savings"] = [
        dict(zip(COLUMNS["savings"], ("P1", "B1", "shared_services", "", "not_collated", "", ""), strict=True))
    ]
    ctx = load_context(write_pack(tmp_path / "pack", tables), "P1")
    html, entries = _html_and_entries(summary.headlines(ctx))
    text = _text(html)
    assert "Implementation costs to date not collated" in text
    assert "Programme savings to date (shared services only) not collated" in text
    assert "£0" not in text and "at least not" not in text
    assert entries["costs.total_to_date"]["display"] == "not collated"
    assert entries["costs.total_to_date"]["complete"] is False
    assert _rows(_html_and_entries(costs.cost_table(ctx))[0])["2013-14 Q1"][:3] == ["not collated"] * 3
    chart = _text(_html_and_entries(costs.cost_chart(ctx))[0])
    assert chart.endswith("returns were not collated, so the amounts are not known (not zero).")
    words = _text(_html_and_entries(summary.summary_text(ctx))[0])
    assert "£0" not in words and "implementation costs reported to date were not collated" in words
