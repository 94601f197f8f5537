"""Versions of a published period: what a republication replaced, kept whole, and what changed.

When a period is republished with different content, the folder it replaces is moved (inside
the same atomic publication, see ``publish.py``) to
``<programme>/history/<period_id>/<version>/``, where ``version`` is the folder's sequence
number and the first 12 hex digits of its report.html's SHA-256, e.g. ``0001-3fa2c4e1b0d9``.
Its ``signoff.json`` goes with it: sign-offs of replaced bytes are void.

Each manifest carries a ``version`` block: its sequence number, the version it supersedes and
the changes since that version (key figures whose value changed, input files whose hash
changed). A rebuild whose content equals the published one inherits its block, so it renders
the very same bytes and publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

HISTORY = "history"  # <programme>/history/: never a period folder (period folders hold manifest.json)
PIN_FILE = ".verify-pin.json"  # written by `verify` into its temporary output: the version block to reproduce
SIGNOFF = "signoff.json"  # beside the report, outside what is compared (see signoff.py)


def history_dir(programme_dir: Path, period_id: str) -> Path:
    """Where the replaced versions of a period are kept."""
    return programme_dir / HISTORY / period_id


def _sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def version_name(folder: Path) -> str:
    """The name a published folder takes in history: ``<sequence:04d>-<report.html sha256[:12]>``.

    The sequence comes from the folder's manifest; a folder published before versions were
    recorded takes the next free number in its period's history."""
    manifest = _read_json(folder / "manifest.json") or {}
    sequence = (manifest.get("version") or {}).get("sequence")
    report = folder / "report.html"
    digest = _sha_file(report)[:12] if report.exists() else "0" * 12
    kept = history_dir(folder.parent, folder.name)
    taken = {p.name.split("-")[0] for p in kept.iterdir()} if kept.is_dir() else set()
    if not sequence or f"{sequence:04d}" in taken:
        sequence = 1 + max((int(s) for s in taken if s.isdigit()), default=0)
    return f"{sequence:04d}-{digest}"


def flatten(data, prefix: str = "") -> dict[str, object]:
    """Key figures as ``path -> value``: ``costs.forecast_gbp_m``, ``estimates[annual_savings, whole strategy].low_gbp_m``."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = []
        for index, item in enumerate(data):
            label = str(index)
            if isinstance(item, dict):
                names = [str(item[k]) for k in ("measure", "scope", "name", "id") if isinstance(item.get(k), str)]
                label = ", ".join(names) or label
            items.append((f"[{label}]", item))
    else:
        return {prefix: data}
    flat: dict[str, object] = {}
    for key, value in items:
        path = f"{prefix}{key}" if str(key).startswith("[") else (f"{prefix}.{key}" if prefix else str(key))
        flat.update(flatten(value, path))
    return flat


def figure_changes(old: dict, new: dict) -> list[dict]:
    """Every key figure whose value differs: ``{"figure", "old", "new"}`` (absent values are ``None``)."""
    before, after = flatten(old), flatten(new)
    return [
        {"figure": name, "old": before.get(name), "new": after.get(name)}
        for name in sorted(set(before) | set(after), key=lambda n: (n not in after, n))
        if before.get(name) != after.get(name) or (name in before) != (name in after)
    ]


def input_changes(old: dict, new: dict) -> list[dict]:
    """Inputs whose digest changed, were added or removed: ``{"file", "change"}``.

    A manifest lists each input as ``{"read", "digest"}``; one written before reads were
    recorded, as the file's SHA-256 alone (compared with the digest: equal for a whole file)."""
    rows = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            rows.append({"file": name, "change": "added"})
        elif name not in new:
            rows.append({"file": name, "change": "removed"})
        elif _digest(old[name]) != _digest(new[name]) or _read(old[name]) != _read(new[name]):
            rows.append({"file": name, "change": "changed"})
    return rows


def _digest(entry) -> str:
    return entry.get("digest") if isinstance(entry, dict) else entry


def _read(entry) -> str:
    return entry.get("read") if isinstance(entry, dict) else "whole file"


def _core(manifest: dict) -> dict:
    """A manifest without its version block: what says whether two builds have the same content."""
    return {k: v for k, v in manifest.items() if k != "version"}


def _same_notebooks(staging: Path, final: Path) -> bool:
    """Whether the executed notebooks of two period folders are the same bytes."""
    new = {p.name: p.read_bytes() for p in (staging / "notebooks").glob("*.ipynb")}
    old = {p.name: p.read_bytes() for p in (final / "notebooks").glob("*.ipynb")}
    return new == old


def version_block(staging: Path, final: Path, manifest: dict, figures: dict) -> dict:
    """The ``version`` block of the manifest being written in ``staging`` to replace ``final``.

    First version: sequence 1, supersedes nothing, no changes. Same content as the published
    folder (manifest apart from this block, key figures, executed notebooks): its block,
    unchanged. Otherwise the next sequence number, the name the published folder will take in
    history, and what changed since it. ``verify`` pins the block of the version it reproduces."""
    pinned = _read_json(final.parent / PIN_FILE)
    if pinned and final.name in pinned:
        return pinned[final.name]
    current = _read_json(final / "manifest.json")
    if current is None:
        return {"sequence": 1, "supersedes": None, "changes": None}
    old_figures = _read_json(final / "metrics.json") or {}
    fresh = json.loads(json.dumps(figures))  # as it will read back from metrics.json
    if _core(current) == _core(manifest) and old_figures == fresh and _same_notebooks(staging, final):
        return current.get("version") or {"sequence": 1, "supersedes": None, "changes": None}
    name = version_name(final)
    return {
        "sequence": int(name.split("-")[0]) + 1,
        "supersedes": name,
        "changes": {
            "figures": figure_changes(old_figures, fresh),
            "inputs": input_changes(current.get("inputs", {}).get("files", {}), manifest["inputs"]["files"]),
        },
    }


def _published_at(folder: Path) -> str:
    """When a folder was published: the time its manifest was written (UTC, to the second)."""
    try:
        stamp = (folder / "manifest.json").stat().st_mtime
    except OSError:
        return "unknown"
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def versions(programme_dir: Path, period_id: str) -> list[dict]:
    """A period's versions, oldest first: those kept in history, then the current one (if any)."""
    from audit_pipeline.run import signoff

    rows = []
    kept = history_dir(programme_dir, period_id)
    for folder in sorted(kept.iterdir()) if kept.is_dir() else []:
        if folder.is_dir() and not folder.name.startswith("."):
            rows.append(
                {
                    "version": folder.name,
                    "current": False,
                    "published": _published_at(folder),
                    "status": "Superseded" + (" (was Cleared)" if signoff.status(folder) == "Cleared" else ""),
                    "path": str(folder),
                }
            )
    current = programme_dir / period_id
    if (current / "manifest.json").exists():
        rows.append(
            {
                "version": version_name(current) if (current / "report.html").exists() else "",
                "current": True,
                "published": _published_at(current),
                "status": signoff.status(current),
                "path": str(current),
            }
        )
    return rows


def is_period_folder(folder: Path) -> bool:
    """A published period folder: holds a manifest, not hidden, not the history or failed folder."""
    return (
        folder.is_dir()
        and not folder.name.startswith(".")
        and folder.name not in (HISTORY, "failed")
        and (folder / "manifest.json").is_file()
    )


def pin(programme_dir: Path, period_id: str, block: dict) -> None:
    """Make the next build of ``period_id`` under ``programme_dir`` take ``block`` (``verify`` only)."""
    programme_dir.mkdir(parents=True, exist_ok=True)
    path = programme_dir / PIN_FILE
    pinned = _read_json(path) or {}
    pinned[period_id] = block
    temporary = programme_dir / f".{PIN_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(pinned), encoding="utf-8")
    temporary.replace(path)
