"""The read log of a unit: which inputs a notebook's kernel read through its context.

``record(name)`` notes one input (a table, ``programme:<field>``, ``transactions``,
``findings`` or ``files``) in the kernel; each name is appended once to the
unit's log file, so the log survives a kernel that dies half way. The log is
``$AUDIT_PIPELINE_READS`` when set, else ``.audit_pipeline_reads`` in the
kernel's working folder when that file exists (``run_unit`` creates it in the
unit's scratch folder, for forked and plain kernels and on Dask workers
alike); elsewhere (a notebook opened by hand) nothing is written.

``watch_folder`` installs an audit hook (once per process) that records
``files`` when anything opens a file inside the pack folder around the
context: such a unit depends on every file of the pack.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

LOG_NAME = ".audit_pipeline_reads"
ENV = "AUDIT_PIPELINE_READS"

_state: dict = {"pid": None, "log": None, "seen": set()}
_captures: list[set[str]] = []
_folders: set[str] = set()
_quiet = [0]  # > 0 while the package itself reads (loading the pack): nothing is recorded
_hooked = [False]


def _process_state() -> dict:
    """The state of this process (a forked kernel starts its own log and its own set of names)."""
    if _state["pid"] != os.getpid():
        log = os.environ.get(ENV)
        if not log:
            candidate = Path.cwd() / LOG_NAME
            log = str(candidate) if candidate.exists() else None
        _state.update(pid=os.getpid(), log=log, seen=set())
    return _state


def record(name: str) -> None:
    """Note that ``name`` was read (once per process in the log; every time in open captures)."""
    if _quiet[0]:
        return
    for names in _captures:
        names.add(name)
    state = _process_state()
    if name in state["seen"]:
        return
    state["seen"].add(name)
    if state["log"]:
        _quiet[0] += 1  # our own write is not a read of the pack
        try:
            with open(state["log"], "a", encoding="utf-8") as handle:
                handle.write(name + "\n")
        except OSError:
            pass
        finally:
            _quiet[0] -= 1


@contextlib.contextmanager
def capture():
    """Collect the names recorded inside the ``with`` block into the set it yields."""
    names: set[str] = set()
    _captures.append(names)
    try:
        yield names
    finally:  # by identity: nested captures may hold equal sets (list.remove would take the outer one)
        del _captures[next(i for i, c in enumerate(_captures) if c is names)]


@contextlib.contextmanager
def internal():
    """Record nothing inside the block: the package reading the pack for the context itself."""
    _quiet[0] += 1
    try:
        yield
    finally:
        _quiet[0] -= 1


def _audit(event: str, args: tuple) -> None:
    if event != "open" or _quiet[0] or not _folders or not args:
        return
    path = args[0]
    if isinstance(path, int) or path is None:
        return
    try:
        text = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(path)))
    except (TypeError, ValueError, OSError):
        return
    if any(text == folder or text.startswith(folder + os.sep) for folder in _folders):
        record("files")


def watch_folder(folder: str | Path) -> None:
    """Record ``files`` whenever this process opens a file under ``folder`` outside the package's loading."""
    _folders.add(os.path.normpath(str(Path(folder).resolve())))
    if not _hooked[0]:
        sys.addaudithook(_audit)
        _hooked[0] = True


def prepare(folder: Path) -> Path:
    """Create an empty read log in a unit's working ``folder`` (before its kernel starts)."""
    log = folder / LOG_NAME
    log.write_text("", encoding="utf-8")
    return log


def collected(folder: Path) -> list[str] | None:
    """The names logged in ``folder`` (sorted), or ``None`` when the unit never used a context."""
    try:
        names = {line.strip() for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines()}
    except OSError:
        return None
    names.discard("")
    return sorted(names) or None
