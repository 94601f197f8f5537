"""The validated-pack cache keeps its footprint proportionate: transactions as Parquet, read back equal."""

from __future__ import annotations

import pickle
from pathlib import Path

from audit_pipeline.pack import cache
from audit_pipeline.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent


def test_transactions_round_trip_through_the_cache_and_take_a_fraction_of_a_pickle(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_PIPELINE_CACHE", str(tmp_path / "cache"))
    pack_dir = ROOT / "data" / "ngss"
    fresh = load_pack(pack_dir)
    first = cache.load_pack_cached(pack_dir)  # validates and writes the entry
    assert first.transactions.equals(fresh.transactions)
    again = cache.load_pack_cached(pack_dir)  # read from the entry
    assert again is not first
    assert again.transactions.schema == fresh.transactions.schema
    assert again.transactions.equals(fresh.transactions)
    (entry,) = cache.packs_dir().glob("*.pickle")
    assert entry.stat().st_size < len(pickle.dumps(fresh.transactions)) / 4


def test_damaged_transactions_bytes_are_rebuilt_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIT_PIPELINE_CACHE", str(tmp_path / "cache"))
    pack_dir = ROOT / "data" / "ngss"
    cache.load_pack_cached(pack_dir)
    (entry,) = cache.packs_dir().glob("*.pickle")
    fmt, key, pack, data = pickle.loads(entry.read_bytes())
    entry.write_bytes(pickle.dumps((fmt, key, pack, data[: len(data) // 2])))
    rebuilt = cache.load_pack_cached(pack_dir)
    assert rebuilt.transactions.equals(load_pack(pack_dir).transactions)
    assert pickle.loads(entry.read_bytes())[3] == data  # written again, whole
