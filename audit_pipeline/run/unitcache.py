"""The unit cache (``reports/<programme_id>/.units``): executed notebooks kept by key, with their reads.

Two levels, as in ccache's depend mode. ``.units/<base>/`` gathers the runs of one
notebook with one set of parameters on one environment (the unit's base key);
each run is ``<key>.json`` (the digests of the inputs it read, recorded while it
ran) and ``<key>.ipynb`` (the executed notebook). A lookup takes the entries of the
unit's base, newest use first, and returns the first whose recorded inputs have
the same period-relevant digests now. An entry that fails to load (truncated,
corrupt, from another version) is removed and the unit rebuilt: never trusted,
never a crash. Eviction: ``prune`` (see ``run/prune.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from audit_pipeline.run import keys

UNIT_CACHE = ".units"
FORMAT = 1


def _folder(programme_dir: Path, unit: keys.Unit) -> Path:
    return programme_dir / UNIT_CACHE / unit.base


def discard(*paths: Path) -> None:
    """Remove cache files that cannot be trusted (missing ones are fine)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _load_entry(path: Path, base: str) -> dict | None:
    """An entry's record when it is whole and ours, else ``None`` (and it is removed)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        ok = (
            isinstance(entry, dict)
            and entry.get("format") == FORMAT
            and entry.get("base") == base
            and entry.get("key") == path.stem
            and isinstance(entry.get("data"), dict)
            and isinstance(entry.get("sha256"), str)
        )
    except (OSError, ValueError):
        ok = False
    if not ok:
        discard(path, path.with_suffix(".ipynb"))
        return None
    return entry


def lookup(programme_dir: Path, unit: keys.Unit, slices: keys.SliceCache) -> bytes | None:
    """The executed notebook of an earlier run whose recorded reads are unchanged (resolving ``unit``)."""
    folder = _folder(programme_dir, unit)
    try:
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return None
    for path in entries:
        entry = _load_entry(path, unit.base)
        if entry is None or keys.changed_reads(entry["data"], unit.period, slices):
            continue
        notebook = path.with_suffix(".ipynb")
        try:
            data = notebook.read_bytes()
        except OSError:
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            discard(path, notebook)
            continue
        unit.components["data"] = dict(entry["data"])
        if unit.key != path.stem:  # the key is the hash of base and data: anything else is not ours
            del unit.components["data"]
            discard(path, notebook)
            continue
        for used in (path, notebook):  # last use, for eviction
            with contextlib.suppress(OSError):
                os.utime(used)
        return data
    return None


def put(programme_dir: Path, unit: keys.Unit, data: bytes) -> None:
    """Keep a resolved unit's executed notebook and its recorded reads (each file written atomically)."""
    folder = _folder(programme_dir, unit)
    folder.mkdir(parents=True, exist_ok=True)
    key = unit.key
    entry = {
        "format": FORMAT,
        "base": unit.base,
        "key": key,
        "notebook": unit.notebook.name,
        "period_id": unit.period.period_id,
        "data": unit.components["data"],
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    for suffix, payload in ((".ipynb", data), (".json", json.dumps(entry, sort_keys=True).encode())):
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        temporary.write_bytes(payload)
        temporary.replace(folder / f"{key}{suffix}")  # the record last: it vouches for the notebook
