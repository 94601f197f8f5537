"""The property of issue 8: an incremental run publishes byte for byte what a clean run publishes.

For every table of the contract (programme.yaml and transactions included) and a random
single-value correction (row, column, new value that the validator accepts), a run after a
first run, reusing its unit cache, publishes exactly the files that a ``--force`` run with an
empty cache publishes from the corrected pack: report.html, metrics.json, manifest.json, the
executed notebooks and index.html (and report.pdf in the one example rendered as PDF).

Periods B and C of the hand pack, HTML only, to stay quick. Examples per table:
``AUDIT_PIPELINE_PROPERTY_EXAMPLES`` (default 1); drawn values the validator rejects are
discarded with ``hypothesis.assume`` (they do not count).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pipeline_runs import HAND_PACK, cli, code_snapshot, published, run_args, tree

from audit_pipeline.pack.contract import SERVICES, TABLES
from audit_pipeline.pack.load import validate_pack

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("AUDIT_PIPELINE_PROPERTY_EXAMPLES", "1"))
PERIOD_ARGS = ("--period", "B", "--period", "C", "--jobs", "2")
TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14)


def value_strategy(kind: str, values: tuple[str, ...], filled: bool, old: str):
    """New values of a column's kind that the validator may accept (it decides: see ``assume``)."""
    if kind == "enum":
        strategy = st.sampled_from(values)
    elif kind == "services":
        strategy = st.sets(st.sampled_from(SERVICES), min_size=1).map(lambda s: ";".join(sorted(s)))
    elif kind == "date":
        strategy = st.dates(dt.date(2013, 1, 1), dt.date(2015, 12, 31)).map(dt.date.isoformat)
    elif kind in ("money", "number"):
        strategy = st.integers(0, 3000).map(lambda n: f"{n / 10:.1f}")
    elif kind == "int":
        strategy = st.integers(0, 3000).map(str)
    elif kind == "id":
        strategy = st.sampled_from(["b1", "b2", "c1", "c2", "A", "B", "C", "r1", "k1", "x9"])
    else:
        strategy = TEXT.map(str.strip).filter(bool)
    return strategy if filled else st.one_of(st.just(""), strategy)


def correct_csv(path: Path, data) -> str:
    """Change one cell of a CSV table; return a description of the change."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assume(body)
    row = data.draw(st.integers(0, len(body) - 1), label="row")
    column = data.draw(st.sampled_from(header), label="column")
    spec = TABLES[path.stem]
    names = [c.name for c in spec.columns]
    col = spec.columns[names.index(column)] if column in names else None
    old = body[row][header.index(column)]
    strategy = value_strategy(col.kind, col.values, col.filled, old) if col else TEXT
    new = data.draw(strategy.filter(lambda v: v != old), label="value")
    body[row][header.index(column)] = new
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    path.write_text(out.getvalue(), encoding="utf-8")
    return f"{path.name} row {row + 1} {column}: {old!r} -> {new!r}"


def correct_programme(path: Path, data) -> str:
    """Change one field of programme.yaml (a threshold, a name, a date)."""
    programme = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = [(k,) for k, v in programme.items() if not isinstance(v, dict) and k != "programme_id"]
    fields += [("thresholds", k) for k in programme.get("thresholds", {})]
    chosen = data.draw(st.sampled_from(fields), label="field")
    holder = programme if len(chosen) == 1 else programme["thresholds"]
    old = holder[chosen[-1]]
    if isinstance(old, bool) or old is None or isinstance(old, str):
        strategy = TEXT.map(str.strip).filter(bool)
    elif isinstance(old, dt.date):
        strategy = st.dates(dt.date(2010, 1, 1), dt.date(2014, 3, 31))
    elif isinstance(old, int):
        strategy = st.integers(1, 200)
    else:
        strategy = st.integers(1, 99).map(lambda n: n / 100)
    new = data.draw(strategy.filter(lambda v: v != old), label="value")
    holder[chosen[-1]] = new
    path.write_text(yaml.safe_dump(programme, sort_keys=False), encoding="utf-8")
    return f"programme.yaml {'.'.join(chosen)}: {old!r} -> {new!r}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A code snapshot and a first run of periods B and C on the hand pack (its unit cache kept)."""
    base = tmp_path_factory.mktemp("property")
    code = code_snapshot(base / "code")
    pack = base / "pack"
    shutil.copytree(HAND_PACK, pack)
    first = base / "first"
    result = cli(code, *run_args(pack, first, *PERIOD_ARGS))
    assert result.returncode == 0, result.stderr
    return SimpleNamespace(base=base, code=code, pack=pack, first=first, counter=[0])


def incremental_equals_clean(site, formats: str = "html") -> None:
    """Run incrementally (after the first run) and cleanly (--force, empty caches); compare every file.

    Both start from the same published state, the first run's, since a republished period names the
    version it supersedes and what changed since (issue 8, versions kept); the clean run has neither
    the unit cache of that state nor a pack cache."""
    site.counter[0] += 1
    work = site.base / f"example-{site.counter[0]}"
    incremental, clean = work / "incremental", work / "clean"
    shutil.copytree(site.first, incremental, symlinks=True)
    shutil.copytree(site.first, clean, symlinks=True, ignore=shutil.ignore_patterns(".units", ".lock"))
    args = ("--format", formats) if formats != "html" else ()
    done = cli(site.code, *run_args(site.pack, incremental, *PERIOD_ARGS), *args)
    assert done.returncode == 0, done.stderr
    forced = cli(
        site.code, *run_args(site.pack, clean, *PERIOD_ARGS, "--force"), *args, AUDIT_PIPELINE_CACHE=str(work / "cache")
    )
    assert forced.returncode == 0, forced.stderr
    assert published(incremental / "hand") == published(clean / "hand")
    assert (incremental / "hand" / "index.html").read_bytes() == (clean / "hand" / "index.html").read_bytes()
    shutil.rmtree(work, ignore_errors=True)


def reset_pack(site) -> None:
    shutil.rmtree(site.pack)
    shutil.copytree(HAND_PACK, site.pack)


@pytest.mark.parametrize("table", [*TABLES, "programme"])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_incremental_run_publishes_what_a_clean_run_publishes(site, table, data):
    reset_pack(site)
    if table == "programme":
        change = correct_programme(site.pack / "programme.yaml", data)
    else:
        change = correct_csv(site.pack / f"{table}.csv", data)
    pack, _ = validate_pack(site.pack)
    assume(pack is not None)  # only valid corrections: the pipeline refuses the others
    data.draw(st.just(change), label="change")
    incremental_equals_clean(site)


def test_incremental_equals_clean_with_pdf(site):
    """One correction (a centre's name, shown by onboarding and service) with the PDF rendered too."""
    reset_pack(site)
    first = site.base / "first-pdf"
    result = cli(site.code, *run_args(site.pack, first, *PERIOD_ARGS), "--format", "html,pdf")
    assert result.returncode == 0, result.stderr
    centres = site.pack / "centres.csv"
    centres.write_text(centres.read_text(encoding="utf-8").replace("Centre Two", "Centre Deux"), encoding="utf-8")
    saved, site.first = site.first, first
    try:
        incremental_equals_clean(site, "html,pdf")
    finally:
        site.first = saved
    assert tree(first)  # the first run's folder is left as it was
