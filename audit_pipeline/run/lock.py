"""The output folder's lock: one run (or sign-off) writes to a programme's folder at a time."""

from __future__ import annotations

import fcntl
import sys
from contextlib import contextmanager
from pathlib import Path


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
