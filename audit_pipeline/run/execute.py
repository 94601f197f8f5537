"""Execute one section notebook with Papermill, in a fresh kernel of its own.

Execution goes through ``papermill.execute_notebook``; the kernel is started by
``audit_pipeline.run.provisioner`` (forked from the fork server when it can be). What failed
is learnt from nbclient's public hooks (the notebook as it runs, the cell running, the first
error a cell replies with) rather than from papermill's summary, so that the message names
the real exception (a mistyped magic names the magic) and the failing cell by its place in the
kept notebook (papermill inserts two cells before it) and its execution count. Any error that
stops the notebook fails it, ``SystemExit`` included whatever its code (papermill lets
``sys.exit(0)`` pass, which would publish a shortened section).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from audit_pipeline.errors import NotebookExecutionError
from audit_pipeline.run import forkserver, provisioner
from audit_pipeline.run.notebooks import normalised
from audit_pipeline.settings import DEFAULT_TIMEOUT


class CellWatch:
    """What nbclient's hooks tell of a run: the notebook as it runs, the cell running, the first error."""

    def __init__(self):
        self.nb = None
        self.cell = None
        self.error: tuple | None = None  # (cell, ename, evalue)

    def hooks(self) -> dict:
        """The ``NotebookClient`` hook traits that report here."""
        return {
            "on_notebook_start": self.notebook_started,
            "on_cell_start": self.cell_started,
            "on_cell_error": self.cell_failed,
        }

    def notebook_started(self, notebook, **_) -> None:
        self.nb = notebook

    def cell_started(self, cell, cell_index, **_) -> None:
        self.cell = cell

    def cell_failed(self, cell, cell_index, execute_reply, **_) -> None:
        """The first error that stops the notebook (a cell tagged ``raises-exception`` may fail)."""
        if self.error is None and "raises-exception" not in cell.metadata.get("tags", []):
            content = execute_reply.get("content", {})
            self.error = (cell, content.get("ename") or "Error", content.get("evalue") or "")

    def position(self, cell, nb=None) -> int | None:
        """Where ``cell`` is in the notebook as kept, counting from 0 as nbformat does."""
        nb = nb if nb is not None else self.nb
        if nb is None or cell is None:
            return None
        return next((i for i, c in enumerate(nb.cells) if c is cell), None)


class FirstStart:
    """The first kernel start of a process goes alone; the others wait until it is connected.

    traitlets resolves a trait's class named by a string (``Type``, ``Instance``) on first use by
    checking, importing, then storing, with no lock: two threads starting the process's first
    kernels at once can find the name already replaced by the class and fail with "import_item
    accepts strings, not <class ...MetaHasTraits>" (seen once in a run with ``--jobs 2``). Once one
    client and kernel manager have started, every such trait is resolved and starts run side by side.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.done = threading.Event()

    def enter(self) -> Callable[[], None]:
        """Wait while another thread makes the first start; return what ends this thread's turn."""
        if self.done.is_set():
            return _nothing
        self.lock.acquire()
        if self.done.is_set():
            self.lock.release()
            return _nothing
        held = [True]

        def leave() -> None:
            if held[0]:
                held[0] = False
                self.done.set()
                self.lock.release()

        return leave


def _nothing() -> None:
    return None


FIRST_START = FirstStart()


QUIET = ("poll_output_msg", "Timeout waiting for execute reply", "Kernel died while waiting for execute reply")


def _shows_error(cell) -> bool:
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


class _QuietAfterTimeout(logging.Filter):
    """Drop what nbclient leaves behind when it stops a cell that timed out or finds its kernel dead:
    its log line, and asyncio's complaint about its abandoned output-polling task. The run reports
    these itself."""

    def filter(self, record) -> bool:
        text = record.getMessage()
        return not any(quiet in text for quiet in QUIET)


def _quieten_logs() -> None:
    for name in ("asyncio", "papermill", "nbclient"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietAfterTimeout) for f in logger.filters):
            logger.addFilter(_QuietAfterTimeout())
    logging.getLogger("papermill").setLevel(logging.WARNING)  # its "Input Notebook: ..." lines


def execute(
    notebook: Path,
    output: Path,
    parameters: dict,
    period_id: str,
    timeout: int = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
) -> Path:
    """Run one notebook to ``output`` in a fresh kernel (started in ``cwd``); ``NotebookExecutionError``
    names the failing cell, and the notebook as far as it ran is kept at ``output``."""
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    output.parent.mkdir(parents=True, exist_ok=True)
    _quieten_logs()
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    folder = forkserver.temporary_folder("kernel")  # the kernel's sockets and connection file
    connection_file = os.path.join(folder, "kernel.json")
    config = Config({"ForkingKernelManager": {"ip": os.path.join(folder, "k"), "connection_file": connection_file}})
    watch = CellWatch()
    failure = None  # (cell, ename, evalue, nb as kept)
    started = FIRST_START.enter()
    hooks = watch.hooks()

    def notebook_started(**kwargs) -> None:  # the kernel is up and connected
        started()
        watch.notebook_started(**kwargs)

    hooks["on_notebook_start"] = notebook_started
    try:
        nb = papermill.execute_notebook(
            str(notebook),
            None,
            parameters,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            record_timing=False,
            kernel_manager_class=provisioner.ForkingKernelManager,
            config=config,
            resources={"metadata": {"path": str(cwd)}} if cwd else {},
            shutdown_kernel="immediate",  # every output is in by then; nothing in the kernel to save
            **hooks,
        )
        if watch.error is not None:  # an error papermill lets pass (SystemExit 0): the notebook stopped there
            failure = (*watch.error, nb)
    except PapermillExecutionError as exc:  # the kept notebook starts with papermill's error cells
        cell, ename, evalue = watch.error or (None, exc.ename, exc.evalue)
        failure = (cell, ename, evalue, watch.nb)
    except (CellTimeoutError, DeadKernelError, TimeoutError, RuntimeError) as exc:  # the kernel stopped, or died
        if isinstance(exc, CellTimeoutError):
            message = f"the cell ran longer than the timeout ({timeout} s) and was stopped"
        elif isinstance(exc, DeadKernelError):
            code = provisioner.exit_code(connection_file)
            message = "the kernel died" + (f": {forkserver.describe_exit(code)}" if code is not None else "")
        else:
            message = str(exc).splitlines()[0] if str(exc) else ""
        failure = (watch.cell, type(exc).__name__, message, watch.nb)
    finally:
        started()  # the kernel did not start: the next one may try
        provisioner.exit_code(connection_file)
        shutil.rmtree(folder, ignore_errors=True)
    if failure is None:
        nbformat.write(normalised(nb), str(output))
        return output
    cell, ename, evalue, kept = failure
    if cell is not None and cell.get("cell_type") == "code" and not _shows_error(cell):
        error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        cell.setdefault("outputs", []).append(error)  # a stopped cell, or a magic's error shown on stderr
    if kept is not None:
        nbformat.write(normalised(kept), str(output))
    raise NotebookExecutionError(
        period_id,
        notebook.name,
        watch.position(cell, kept),
        ename,
        evalue,
        str(output),
        execution_count=cell.get("execution_count") if cell is not None else None,
    ) from None
