"""Publish a period folder whole or not at all, and keep concurrent runs apart.

A period is built in a staging folder beside its final place, then swapped in
with one atomic ``renameat2(RENAME_EXCHANGE)`` (or a plain ``rename`` when
there is no previous folder). A run killed at any moment leaves the previous
good folder exactly as it was; leftovers are swept at the next run. The lock is
an ``flock`` on a file, which the kernel releases when its process dies, so no
stale lock can block the next run.

The folder replaced is kept whole in ``history/<period_id>/<version>/`` (see
``history.py``). Before the swap the staging folder is renamed
``.outgoing-<period>-<inode of the published folder>-<version>``; after the swap
that name holds the old folder, whose inode it carries, and is renamed into
history. A run killed between the two renames leaves the new folder published
and the old one under that name: the next run's ``sweep`` tells the two cases
apart by the inode and finishes the move (or removes an unpublished build), so
at no moment are both versions missing. A build whose bytes equal the published
folder's (``signoff.json`` aside) publishes nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import time
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"  # no longer made (old folders go to history); still swept
OUTGOING_PREFIX = ".outgoing-"
SIGNOFF = "signoff.json"


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux ``renameat2``); raises ``OSError`` where unsupported."""
    libc = _libc()
    if not hasattr(libc, "renameat2"):
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    result = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def staging_dir(final: Path) -> Path:
    """A fresh, empty staging folder beside ``final`` (same filesystem, so renames are atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    path = final.parent / f"{STAGING_PREFIX}{final.name}-{os.getpid()}-{time.monotonic_ns()}"
    path.mkdir()
    return path


def same_content(a: Path, b: Path) -> bool:
    """Whether two period folders hold the same files with the same bytes (``signoff.json`` aside)."""

    def files(folder: Path) -> dict[str, Path]:
        return {
            p.relative_to(folder).as_posix(): p
            for p in folder.rglob("*")
            if p.is_file() and p.relative_to(folder).as_posix() != SIGNOFF
        }

    left, right = files(a), files(b)
    return left.keys() == right.keys() and all(left[n].read_bytes() == right[n].read_bytes() for n in left)


def publish(staging: Path, final: Path) -> bool:
    """Put ``staging`` in place of ``final`` atomically, the old folder moving whole into history.

    Returns ``False`` (and discards ``staging``) when ``final`` already holds these very bytes."""
    from audit_pipeline.run.history import history_dir, version_name

    for path in staging.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(staging)
    if not final.exists():
        os.rename(staging, final)
    elif same_content(staging, final):
        shutil.rmtree(staging, ignore_errors=True)
        return False
    else:
        version = version_name(final)
        kept = history_dir(final.parent, final.name)
        kept.mkdir(parents=True, exist_ok=True)
        outgoing = final.parent / f"{OUTGOING_PREFIX}{final.name}-{final.stat().st_ino}-{version}"
        os.rename(staging, outgoing)
        exchange(outgoing, final)  # now `outgoing` holds the old folder (its inode is in the name)
        os.rename(outgoing, kept / version)
        _fsync(kept)
    _fsync_dir(final.parent)
    return True


def _fsync(path: Path) -> None:
    """``fsync`` a folder (not ``_fsync_dir``: the fault tests count the calls of that one)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _recover_outgoing(path: Path) -> None:
    """Finish a publication killed between its swap and its move into history, or drop a build
    killed before its swap: ``.outgoing-<period>-<inode>-<version>`` holds the old folder exactly
    when its inode is the one in its name."""
    from audit_pipeline.run.history import history_dir

    try:
        period, inode, sequence, digest = path.name[len(OUTGOING_PREFIX) :].rsplit("-", 3)
        swapped = path.stat().st_ino == int(inode)
    except (ValueError, OSError):
        swapped = False
    if not swapped:
        shutil.rmtree(path, ignore_errors=True)
        return
    kept = history_dir(path.parent, period)
    kept.mkdir(parents=True, exist_ok=True)
    target = kept / f"{sequence}-{digest}"
    if target.exists():
        target = kept / f"{sequence}-{digest}-recovered-{time.time_ns()}"
    os.rename(path, target)


def sweep(folder: Path) -> None:
    """Remove staging and retired folders, and half-written cache files, left by runs that were
    killed, and finish their moves into history (call under the lock)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(OUTGOING_PREFIX) and path.is_dir():
            _recover_outgoing(path)
        elif path.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for path in [*folder.glob(".*.tmp"), *folder.glob(".units/.*.tmp")]:
        path.unlink(missing_ok=True)


def write_json(path: Path, data: dict) -> None:
    """JSON with stable key order and a final newline (byte-identical for the same data)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
