"""Validated packs cached on disk, so the notebooks of a run validate a pack once, not once each.

The key is the SHA-256 of every file in the pack folder and of the package's
own code: any change to either is a different entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from audit_pipeline.pack.load import Pack, file_sha256, load_pack
from audit_pipeline.settings import DEFAULT_DATA, cache_dir, code_digest


def input_hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file in the pack folder, by file name."""
    return {p.name: file_sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


# Packs a process keeps loaded (``keep=True``: the fork server's, for the kernels it forks), by the
# same key as the files on disk; the latest few only.
KEPT: dict[str, Pack] = {}
KEEP_AT_MOST = 2


def load_pack_cached(directory: str | Path | None = None, keep: bool = False) -> Pack:
    """``load_pack`` with an on-disk cache keyed on input and code hashes; with ``keep``, also
    kept in memory under that key (and found there by later calls, in this process or its forks)."""
    directory = Path(directory or DEFAULT_DATA).resolve()
    key = hashlib.sha256(
        repr((str(directory), sorted(input_hashes(directory).items()), code_digest())).encode()
    ).hexdigest()
    if key in KEPT:
        return KEPT[key]
    path = cache_dir() / "packs" / f"{key}.pickle"
    if path.exists():
        with path.open("rb") as handle:
            pack = pickle.load(handle)  # our own file, written below from a validated pack
    else:
        pack = load_pack(directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(pack, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    if keep:
        KEPT[key] = pack
        while len(KEPT) > KEEP_AT_MOST:
            del KEPT[next(iter(KEPT))]
    return pack
