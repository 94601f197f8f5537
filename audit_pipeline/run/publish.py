"""Publish a period folder whole or not at all, and keep concurrent runs apart.

A period is built in a staging folder beside its final place, then swapped in
with one atomic ``renameat2(RENAME_EXCHANGE)`` (or a plain ``rename`` when
there is no previous folder). A run killed at any moment leaves the previous
good folder exactly as it was; leftovers are swept at the next run. The lock is
an ``flock`` on a file, which the kernel releases when its process dies, so no
stale lock can block the next run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"


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


def publish(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final`` atomically; the old folder is removed afterwards."""
    for path in staging.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(staging)
    if not final.exists():
        os.rename(staging, final)
    else:
        exchange(staging, final)  # now `staging` holds the old folder
        retired = final.parent / f"{RETIRED_PREFIX}{final.name}-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(staging, retired)
        shutil.rmtree(retired, ignore_errors=True)
    _fsync_dir(final.parent)


def sweep(folder: Path) -> None:
    """Remove staging and retired folders, and half-written cache files, left by runs that were
    killed (call under the lock)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for path in [*folder.glob(".*.tmp"), *folder.glob(".units/.*.tmp")]:
        path.unlink(missing_ok=True)


@contextmanager
def run_lock(folder: Path, wait: bool = True, stream=None):
    """Hold the output folder's lock; wait for another run (saying so) or fail at once.

    The lock is an ``flock`` on ``<folder>/.lock``: the kernel drops it when the holder dies,
    however it dies, so a killed run never blocks the next one."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / ".lock").open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                from audit_pipeline.errors import UsageError

                raise UsageError(f"another run is writing to {folder}; try again when it has finished") from None
            print(
                f"Another run is writing to {folder}; waiting for it to finish...",
                file=stream or sys.stderr,
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()


def write_json(path: Path, data: dict) -> None:
    """JSON with stable key order and a final newline (byte-identical for the same data)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
