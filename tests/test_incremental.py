"""Incremental runs: units keyed on their inputs; unchanged ones reused, changed ones rerun.

Notebooks rerun, and periods are re-rendered, only where the slice of data they recorded
reading changed (tables, rows up to the period and later forecasts, programme fields): a
report's provenance lists those digests, not every file of the pack, so a correction to a
later period leaves earlier reports (and their sign-offs) as they were. See
test_dependencies.py for what is recorded.
"""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import nbformat
import pytest
from pipeline_runs import (
    NOTEBOOKS,
    PERIODS,
    assert_complete,
    cli,
    code_snapshot,
    copy_pack,
    every_unit,
    published,
    run_args,
    units_logged,
)

pytestmark = pytest.mark.slow

COSTS_BEFORE = "B,b2,departmental_implementation,0.7,actual,return"
COSTS_AFTER = "B,b2,departmental_implementation,0.9,actual,return"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A snapshot of the code, a copy of the hand pack, and one cold run of all its periods."""
    base = tmp_path_factory.mktemp("incremental")
    code = code_snapshot(base / "code")
    pack = copy_pack(base / "pack")
    out = base / "out"
    cold = cli(code, *run_args(pack, out, "--all", "--jobs", "2"))
    assert cold.returncode == 0, cold.stderr
    return SimpleNamespace(
        base=base, code=code, pack=pack, out=out, programme=out / "hand", cold=cold, before=published(out / "hand")
    )


def listing(site, out=None) -> dict[str, dict]:
    result = cli(site.code, "list", "--data", str(site.pack), "--out", str(out or site.out), "--format", "json")
    assert result.returncode == 0, result.stderr
    return {row["period_id"]: row for row in json.loads(result.stdout)}


def test_cold_run_executes_each_unit_once_and_publishes_every_period(site):
    assert units_logged(site.cold.stderr, "executed") == every_unit()
    assert units_logged(site.cold.stderr, "reused") == set()
    for period in PERIODS:
        assert_complete(site.programme / period)
        assert f"Published: {site.programme / period / 'report.html'}" in site.cold.stdout
    assert (site.programme / "index.html").exists()
    assert {pid: row["state"] for pid, row in listing(site).items()} == dict.fromkeys(PERIODS, "fresh")


def test_list_shows_missing_periods_before_any_run(site, tmp_path):
    rows = listing(site, tmp_path / "nothing-here")
    assert {pid: (row["state"], row["reasons"]) for pid, row in rows.items()} == dict.fromkeys(PERIODS, ("missing", []))
    text = cli(site.code, "list", "--data", str(site.pack), "--out", str(tmp_path / "nothing-here"))
    assert text.returncode == 0 and "missing" in text.stdout and "2014-15 Q2" in text.stdout


def test_unchanged_rerun_reuses_everything_and_touches_nothing(site):
    folders = {p: (site.programme / p).stat().st_ino for p in PERIODS}
    again = cli(site.code, *run_args(site.pack, site.out, "--all", "--jobs", "2"))
    assert again.returncode == 0, again.stderr
    assert "Nothing to rebuild" in again.stdout
    assert units_logged(again.stderr, "executed") == set()
    assert all(f"{p}: up to date" in again.stderr for p in PERIODS)
    assert published(site.programme) == site.before
    assert {p: (site.programme / p).stat().st_ino for p in PERIODS} == folders  # not even swapped


def test_force_reruns_everything_asked_with_the_same_bytes_whatever_jobs_and_kernels(site):
    """--force reruns every unit of the periods asked for. With --jobs 1, and kernels started from
    scratch (AUDIT_PIPELINE_FORK=0) rather than forked from the fork server (which has imported
    what they need and warmed up), the reports are the same bytes as the cold run's (--jobs 2)."""
    out = site.base / "out-forced"
    shutil.copytree(site.out, out, symlinks=True)
    forced = cli(
        site.code, *run_args(site.pack, out, "--period", "A", "--force", "--jobs", "1"), AUDIT_PIPELINE_FORK="0"
    )
    assert forced.returncode == 0, forced.stderr
    assert units_logged(forced.stderr, "executed") == every_unit(["A"])
    assert "A: to build: forced (--force)" in forced.stderr
    assert published(out / "hand") == site.before


def test_new_notebook_version_reruns_that_notebook_only(site):
    notebooks = site.base / "notebooks-edited"
    shutil.copytree(site.code / "notebooks", notebooks, ignore=shutil.ignore_patterns("*.py"))
    nb = nbformat.read(notebooks / "03_onboarding.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A closing note on onboarding, added for the test."))
    nbformat.write(nb, notebooks / "03_onboarding.ipynb")
    out = site.base / "out-notebook"
    shutil.copytree(site.out, out, symlinks=True)
    stale = listing(site, out)  # `list` compares with the default notebooks: fresh
    assert {p: r["state"] for p, r in stale.items()} == dict.fromkeys(PERIODS, "fresh")
    result = cli(site.code, *run_args(site.pack, out, "--all", "--notebooks", str(notebooks)))
    assert result.returncode == 0, result.stderr
    assert units_logged(result.stderr, "executed") == {(p, "03_onboarding.ipynb") for p in PERIODS}
    assert "A: to build: notebook changed: 03_onboarding\n" in result.stderr
    for period in PERIODS:
        text = (out / "hand" / period / "report.html").read_text(encoding="utf-8")
        assert "A closing note on onboarding, added for the test." in text


def recorded(site, period: str) -> dict[str, list[str]]:
    """Each notebook's recorded reads in the cold run's manifest of ``period``."""
    units = json.loads(site.before[period]["manifest.json"])["units"]
    return {name: unit["reads"] for name, unit in units.items()}


def test_corrected_return_reruns_what_depends_on_it_and_nothing_more(site):
    """Body b2's departmental return for period B goes from 0.7 to 0.9 (GBP million).

    Costs are read, as recorded in the manifests, by the notebooks that show costs or key
    figures made from them, up to the period: so B and C rerun those and are re-rendered; A,
    which read only its own rows of costs.csv, stays fresh and its folder is not touched. The result is byte for byte what a full build of the corrected pack gives from the same
    published state (each new version names the one it supersedes and what changed since)."""
    readers = {p: {nb for nb, names in recorded(site, p).items() if "costs" in names} for p in PERIODS}
    assert {"01_summary.ipynb", "02_costs_savings.ipynb", "06_data_quality.ipynb"} <= readers["B"]
    costs = site.pack / "costs.csv"
    text = costs.read_text(encoding="utf-8")
    assert text.count(COSTS_BEFORE) == 1
    costs.write_text(text.replace(COSTS_BEFORE, COSTS_AFTER), encoding="utf-8")

    rows = listing(site)
    assert {p: r["state"] for p, r in rows.items()} == {"A": "fresh", "B": "stale", "C": "stale"}
    for period in ("B", "C"):
        reasons = rows[period]["reasons"]
        for nb in readers[period]:
            assert f"{nb}: data changed (costs)" in reasons
        assert not any(nb in r for r in reasons for nb in set(NOTEBOOKS) - readers[period]), reasons

    # The reference: the same published state (each report names the version it supersedes), no unit cache.
    shutil.copytree(site.out, site.base / "out-reference", ignore=shutil.ignore_patterns(".units", ".lock"))
    result = cli(site.code, *run_args(site.pack, site.out, "--all", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    affected = {(p, nb) for p in ("B", "C") for nb in readers[p]}
    assert units_logged(result.stderr, "executed") == affected
    assert units_logged(result.stderr, "reused") == {(p, nb) for p, nb in every_unit() if p != "A"} - affected
    assert {p: r["state"] for p, r in listing(site).items()} == dict.fromkeys(PERIODS, "fresh")

    after = published(site.programme)
    metrics = {p: json.loads(after[p]["metrics.json"]) for p in PERIODS}
    before = {p: json.loads(site.before[p]["metrics.json"]) for p in PERIODS}
    assert after["A"] == site.before["A"]  # every file of A, byte for byte: not even re-rendered
    assert "A: published" not in result.stderr and "A: rendering" not in result.stderr
    for period in ("B", "C"):
        grew = (
            metrics[period]["costs"]["departmental_to_date_gbp_m"]
            - before[period]["costs"]["departmental_to_date_gbp_m"]
        )
        assert grew == pytest.approx(0.2)
    for period in PERIODS:  # reused notebooks are the very bytes published before
        for nb in set(NOTEBOOKS) - {n for p, n in affected if p == period}:
            assert after[period][f"notebooks/{nb}"] == site.before[period][f"notebooks/{nb}"]

    reference = cli(site.code, *run_args(site.pack, site.base / "out-reference", "--all", "--jobs", "2", "--force"))
    assert reference.returncode == 0, reference.stderr
    assert units_logged(reference.stderr, "executed") == every_unit()
    assert published(site.base / "out-reference" / "hand") == after
