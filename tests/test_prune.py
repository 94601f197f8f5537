"""Bounded caches: pruning by policy (``pipeline.py prune``, and after each run), and cache entries
that fail to load (truncated, corrupt, another version's) discarded and rebuilt, never trusted."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
from pipeline_runs import NOTEBOOKS, cli, code_snapshot, copy_pack, published, run_args, units_logged

from audit_pipeline.pack import cache
from audit_pipeline.pack.load import Pack

COSTS_BEFORE = "B,b2,departmental_implementation,0.7,actual,return"
COSTS_AFTER = "B,b2,departmental_implementation,0.9,actual,return"


def test_truncated_or_foreign_pack_cache_entry_is_discarded_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_PIPELINE_CACHE", str(tmp_path / "cache"))
    pack_dir = copy_pack(tmp_path / "pack")
    first = cache.load_pack_cached(pack_dir)
    (entry,) = (tmp_path / "cache" / "packs").glob("*.pickle")
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])  # a write cut short
    again = cache.load_pack_cached(pack_dir)
    assert isinstance(again, Pack) and again.programme == first.programme
    assert entry.read_bytes() != whole[: len(whole) // 2]  # rebuilt whole
    entry.write_bytes(pickle.dumps((cache.FORMAT + 1, "someone else's key", first)))  # another version's
    assert cache.load_pack_cached(pack_dir).tables["costs"].equals(first.tables["costs"])
    entry.write_bytes(b"not a pickle at all")
    assert cache.load_pack_cached(pack_dir).programme == first.programme
    assert pickle.loads(entry.read_bytes())[0] == cache.FORMAT


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return code_snapshot(tmp_path_factory.mktemp("prune") / "code")


@pytest.mark.slow
def test_corrupt_unit_cache_entries_are_rebuilt_not_trusted(code, tmp_path):
    pack, out = copy_pack(tmp_path / "pack"), tmp_path / "out"
    first = cli(code, *run_args(pack, out, "--period", "C"))
    assert first.returncode == 0, first.stderr
    before = published(out / "hand")
    units = out / "hand" / ".units"
    records = {json.loads(p.read_text())["notebook"]: p for p in units.glob("*/*.json")}
    records["01_summary.ipynb"].write_text('{"format": 1, "base": "trunc', encoding="utf-8")
    notebook = records["04_service.ipynb"].with_suffix(".ipynb")
    notebook.write_bytes(notebook.read_bytes()[:100])
    shutil.rmtree(out / "hand" / "C")  # so that units come from the unit cache, not the published folder
    again = cli(code, *run_args(pack, out, "--period", "C"))
    assert again.returncode == 0, again.stderr
    assert units_logged(again.stderr, "executed") == {("C", "01_summary.ipynb"), ("C", "04_service.ipynb")}
    assert units_logged(again.stderr, "reused") == {("C", nb) for nb in NOTEBOOKS} - {
        ("C", "01_summary.ipynb"),
        ("C", "04_service.ipynb"),
    }
    assert published(out / "hand") == before


@pytest.mark.slow
def test_prune_keeps_what_published_periods_need_and_caps_the_rest(code, tmp_path):
    pack, out = copy_pack(tmp_path / "pack"), tmp_path / "out"
    own = {"AUDIT_PIPELINE_CACHE": str(tmp_path / "cache")}  # this test's pack cache alone
    assert cli(code, *run_args(pack, out, "--period", "C"), **own).returncode == 0
    costs = pack / "costs.csv"
    costs.write_text(costs.read_text(encoding="utf-8").replace(COSTS_BEFORE, COSTS_AFTER), encoding="utf-8")
    second = cli(code, *run_args(pack, out, "--period", "C"), **own)
    assert second.returncode == 0, second.stderr
    changed = {nb for _, nb in units_logged(second.stderr, "executed")}
    assert changed and "Pruned the caches" not in second.stderr  # under the default caps
    units = out / "hand" / ".units"
    entries = sorted(units.glob("*/*.json"))
    assert len(entries) == len(NOTEBOOKS) + len(changed)
    packs = sorted((tmp_path / "cache" / "packs").glob("*.pickle"))
    assert len(packs) == 2  # the pack before and after the correction

    caps = {"AUDIT_PIPELINE_UNIT_CACHE_MB": "0", "AUDIT_PIPELINE_PACK_CACHE_MB": "0", **own}
    dry = cli(code, "prune", "--out", str(out), "--dry-run", **caps)
    assert dry.returncode == 0, dry.stderr
    would = [line for line in dry.stdout.splitlines() if line.startswith("would remove")]
    assert len(would) == len(changed) + 1, dry.stdout  # the replaced units, and the old pack version
    assert all("over the size cap" in line for line in would) and "Would free" in dry.stdout
    assert sorted(units.glob("*/*.json")) == entries and len(list((tmp_path / "cache" / "packs").glob("*"))) == 2

    done = cli(code, "prune", "--out", str(out), **caps)
    assert done.returncode == 0 and "Freed" in done.stdout, done.stdout
    assert len(list(units.glob("*/*.json"))) == len(NOTEBOOKS)
    assert len(list(units.glob("*/*.ipynb"))) == len(NOTEBOOKS)
    assert len(list((tmp_path / "cache" / "packs").glob("*.pickle"))) == 1
    again = cli(code, "prune", "--out", str(out), **caps)
    assert again.stdout.strip() == "Nothing to prune."

    costs.write_text(costs.read_text(encoding="utf-8").replace(COSTS_AFTER, COSTS_BEFORE), encoding="utf-8")
    third = cli(code, *run_args(pack, out, "--period", "C"), **caps)  # pruned automatically after the run
    assert third.returncode == 0, third.stderr
    assert "Pruned the caches" in third.stderr
    assert len(list(units.glob("*/*.json"))) == len(NOTEBOOKS)
