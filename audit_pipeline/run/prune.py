"""Keeping the caches bounded: ``pipeline.py prune`` and the cheap pruning after each run.

Policy (documented in docs/OUTPUTS.md and README.md):

- unit cache of a programme (``reports/<programme_id>/.units``): entries named by a
  published period's manifest (what the latest plan of the programme reuses) are
  kept; the others, most recently used first, while the cache stays under
  ``AUDIT_PIPELINE_UNIT_CACHE_MB`` (default 512); entries of another format and
  abandoned temporary files are removed;
- validated-pack cache (``$AUDIT_PIPELINE_CACHE/packs``): see ``pack/cache.py``
  (the last used entry of each pack folder, then up to ``AUDIT_PIPELINE_PACK_CACHE_MB``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from audit_pipeline.pack.cache import STALE_TEMPORARY, cap_bytes
from audit_pipeline.pack.cache import prune_plan as pack_plan
from audit_pipeline.run.unitcache import UNIT_CACHE

DEFAULT_UNIT_CAP_MB = 512


def _published_keys(programme_dir: Path) -> set[str]:
    """The unit keys that the published periods' manifests name."""
    from audit_pipeline.run.plan import read_manifest

    found = set()
    for folder in programme_dir.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            units = (read_manifest(folder) or {}).get("units", {})
            found |= {u.get("key") for u in units.values() if isinstance(u, dict)}
    return found


def unit_plan(programme_dir: Path, cap: int | None = None) -> list[tuple[Path, int, str]]:
    """What to remove from a programme's unit cache: ``(path, size, why)``."""
    cap = cap_bytes("AUDIT_PIPELINE_UNIT_CACHE_MB", DEFAULT_UNIT_CAP_MB) if cap is None else cap
    root = programme_dir / UNIT_CACHE
    if not root.is_dir():
        return []
    needed = _published_keys(programme_dir)
    removals, entries, now = [], [], time.time()
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        stat = path.stat()
        if path.suffix == ".tmp":
            if now - stat.st_mtime > STALE_TEMPORARY:
                removals.append((path, stat.st_size, "abandoned write"))
        elif path.parent == root or path.suffix not in (".json", ".ipynb"):
            removals.append((path, stat.st_size, "not an entry of this version"))
        elif path.suffix == ".json":
            notebook = path.with_suffix(".ipynb")
            size = stat.st_size + (notebook.stat().st_size if notebook.exists() else 0)
            entries.append((path.stem in needed, stat.st_mtime_ns, path, size))
        elif not path.with_suffix(".json").exists():
            removals.append((path, stat.st_size, "no record"))
    kept = 0
    for needed_now, _, path, size in sorted(entries, reverse=True):  # needed first, then most recent
        if needed_now or kept + size <= cap:
            kept += size
        else:
            removals.append((path, size, "over the size cap"))  # the record, and its notebook with it
    return removals


def remove(removals: list[tuple[Path, int, str]]) -> None:
    """Remove the files listed, then any folder of the unit cache left empty."""
    folders = set()
    for path, _, _ in removals:
        companions = [path.with_suffix(".ipynb")] if path.suffix == ".json" else []
        for each in (path, *companions):
            with contextlib.suppress(OSError):
                each.unlink()
        folders.add(path.parent)
    for folder in folders:
        if folder.parent.name == UNIT_CACHE:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty


def describe(path: Path) -> str:
    """A removal as shown to people: a unit cache entry is its record and its notebook."""
    return f"{path.with_suffix('')}.{{json,ipynb}}" if path.suffix == ".json" else str(path)


def size_text(size: int) -> str:
    """Bytes for people: ``12.3 MB``, ``4.0 KB``, ``17 B``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def programmes(out_dir: Path) -> list[Path]:
    """The programme folders under ``out_dir`` that have a unit cache."""
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir() if (p / UNIT_CACHE).is_dir())


def prune(out_dir: Path, dry_run: bool = False) -> list[tuple[Path, int, str]]:
    """Prune every programme's unit cache under ``out_dir`` and the pack cache; return what went (or would)."""
    removals = [r for programme in programmes(out_dir) for r in unit_plan(programme)] + pack_plan()
    if not dry_run:
        remove(removals)
    return removals


def after_run(programme_dir: Path, stream=None) -> None:
    """The cheap pruning after a run: this programme's unit cache and the pack cache."""
    removals = unit_plan(programme_dir) + pack_plan()
    if not removals:
        return
    remove(removals)
    message = f"Pruned the caches: {len(removals)} entries, {size_text(sum(s for _, s, _ in removals))}"
    if stream is not None:
        print(message, file=stream)
    else:
        import click

        click.echo(message, err=True)
