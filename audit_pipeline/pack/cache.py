"""Validated packs cached on disk, so the notebooks of a run validate a pack once, not once each.

An entry is ``<cache>/packs/<folder>-<key>.pickle``: ``folder`` is a short hash of
the pack folder's path, ``key`` the SHA-256 of every file in the pack folder and of
the package's own code, so any change to either is a different entry. An entry that
fails to load (truncated, corrupt, written by another version) is removed and the
pack validated again: never trusted, never a crash. ``prune_plan`` says what to evict:
the last used entry of each pack folder is kept, then the most recently used others
up to a size cap (``AUDIT_PIPELINE_PACK_CACHE_MB``, default 2048).

The transactions, which may be millions of rows, are stored in the entry as Parquet (zstd), not
pickled as Arrow buffers: a tenth of the size or less, read back into the same table (a test
checks ``equals``), so the service figures are computed from exactly what was validated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import tempfile
import time
from pathlib import Path

from audit_pipeline.pack.load import Pack, file_sha256, load_pack
from audit_pipeline.settings import DEFAULT_DATA, cache_dir, code_digest

FORMAT = 2  # bump when what is pickled changes shape (2: transactions as Parquet bytes)
DEFAULT_CAP_MB = 2048
ENTRY = re.compile(r"^(?P<folder>[0-9a-f]{12})-(?P<key>[0-9a-f]{64})\.pickle$")
STALE_TEMPORARY = 3600  # seconds after which a temporary file is an abandoned write


def input_hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file in the pack folder, by file name."""
    return {p.name: file_sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


def packs_dir() -> Path:
    """Where validated packs are cached."""
    return cache_dir() / "packs"


def _entry(directory: Path) -> tuple[Path, str]:
    key = hashlib.sha256(
        repr((str(directory), sorted(input_hashes(directory).items()), code_digest())).encode()
    ).hexdigest()
    folder = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    return packs_dir() / f"{folder}-{key}.pickle", key


def _load(path: Path, key: str) -> Pack | None:
    """The cached pack, or ``None`` when the entry is missing or cannot be trusted (then removed)."""
    try:
        with path.open("rb") as handle:
            payload = pickle.load(handle)  # our own file, written below from a validated pack
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - truncated, corrupt or another version's: any failure means rebuild
        payload = None
    whole = isinstance(payload, tuple) and len(payload) == 4 and payload[:2] == (FORMAT, key)
    if whole and isinstance(payload[2], Pack) and isinstance(payload[3], bytes | None):
        pack = payload[2]
        try:
            pack.transactions = _transactions_from(payload[3])
        except Exception:  # noqa: BLE001 - damaged Parquet bytes: rebuild, like any damaged entry
            pack = None
        if pack is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # last use, for eviction
            return pack
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def _transactions_bytes(table) -> bytes | None:
    """The validated transactions as Parquet (zstd) bytes, or ``None`` when the pack has none."""
    if table is None:
        return None
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _transactions_from(data: bytes | None):
    if data is None:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    # One thread: a `list` under heavy load once aborted at exit ("terminate called without an active
    # exception") after a threaded read here; the read is a small part of loading a pack.
    return pq.read_table(pa.BufferReader(data), use_threads=False)


def _write(path: Path, key: str, pack: Pack) -> None:
    """The entry for ``pack``: the pack without its transactions, pickled, and the transactions as Parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    transactions, pack.transactions = pack.transactions, None
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(
                (FORMAT, key, pack, _transactions_bytes(transactions)), handle, protocol=pickle.HIGHEST_PROTOCOL
            )
    finally:
        pack.transactions = transactions
    os.replace(handle.name, path)


# Packs a process keeps loaded (``keep=True``: the fork server's, for the kernels it forks), by the
# same content key as the files on disk; the latest few only.
KEPT: dict[str, Pack] = {}
KEEP_AT_MOST = 2


def load_pack_cached(directory: str | Path | None = None, keep: bool = False) -> Pack:
    """``load_pack`` with an on-disk cache keyed on input and code hashes; with ``keep``, also kept in
    memory under that key (and found there by later calls, in this process or its forks)."""
    directory = Path(directory or DEFAULT_DATA).resolve()
    path, key = _entry(directory)
    if key in KEPT:
        return KEPT[key]
    pack = _load(path, key)
    if pack is None:
        pack = load_pack(directory)
        _write(path, key, pack)
    if keep:
        KEPT[key] = pack
        while len(KEPT) > KEEP_AT_MOST:
            del KEPT[next(iter(KEPT))]
    return pack


def cap_bytes(variable: str, default_mb: int) -> int:
    """A size cap from the environment, in MB (``default_mb`` when unset or not a number)."""
    try:
        return max(0, int(float(os.environ.get(variable, default_mb)) * 1_000_000))
    except ValueError:
        return default_mb * 1_000_000


def prune_plan(cap: int | None = None) -> list[tuple[Path, int, str]]:
    """What to remove from the pack cache: ``(path, size, why)``, by the policy of the module docstring."""
    cap = cap_bytes("AUDIT_PIPELINE_PACK_CACHE_MB", DEFAULT_CAP_MB) if cap is None else cap
    removals, entries = [], []
    try:
        files = [p for p in packs_dir().iterdir() if p.is_file()]
    except OSError:
        return []
    now = time.time()
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        match = ENTRY.match(path.name)
        if path.suffix == ".tmp":
            if now - stat.st_mtime > STALE_TEMPORARY:
                removals.append((path, stat.st_size, "abandoned write"))
        elif match is None:
            removals.append((path, stat.st_size, "not an entry of this version"))
        else:
            entries.append((stat.st_mtime_ns, path, stat.st_size, match["folder"]))
    kept, seen = 0, set()
    for _, path, size, folder in sorted(entries, reverse=True):  # most recently used first
        if folder not in seen:  # the last used version of each pack folder stays
            seen.add(folder)
            kept += size
        elif kept + size <= cap:
            kept += size
        else:
            removals.append((path, size, "over the size cap"))
    return removals
