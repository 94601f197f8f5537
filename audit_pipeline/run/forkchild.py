"""What runs inside the fork server process (see ``audit_pipeline.run.forkserver``): preload,
warm up, fork a child per request, reap children and report how each ended.

Nothing here runs in the pipeline's own process: ``main`` is the server's entry point.
"""

from __future__ import annotations

import importlib
import os
import pickle
import random
import select
import signal
import sys
import threading
import time
import traceback
from collections import deque
from pathlib import Path

from audit_pipeline.run.forkserver import STATUS
from audit_pipeline.settings import code_digest

# What the server imports before forking kernels (a missing one is simply not preloaded) ...
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",  # debugpy: a fifth of a kernel's start-up when imported there
    "IPython",
    "IPython.core.history",
    "sqlite3",
    "pdb",
    "tornado.gen",
    "tornado.queues",
    "numpy",
    "pandas",
    "pyarrow",
    "duckdb",
    "matplotlib.pyplot",
    "seaborn",
    "audit_pipeline.report.context",
    "audit_pipeline.report.sections",
    "audit_pipeline.report.charts",
)
# ... and what it imports afterwards, one module at a time while no request waits (for renderings).
PRELOAD_LATER = (
    "audit_pipeline.run.provenance",
    "audit_pipeline.run.index",
    "audit_pipeline.report.render",
    "audit_pipeline.report.exporters",
    "nbconvert",
    "weasyprint",
)


def main(status_fd: int) -> None:  # pragma: no cover - runs in the server process
    """Import ``PRELOAD``, say ready, then fork one child per request read from stdin until it closes;
    each child's pid and wait status go to ``status_fd`` when it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the run, which then closes our stdin
    # Kernels see the path a kernel started directly would see: not our folder, nor the working one.
    del sys.path[0]  # the package's folder, put first by ForkServer to import this module
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    requests = 0  # a pipe of length-prefixed pickles, read unbuffered: select() tells when one waits
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing but replies on the pipe, whatever prints
    digest = code_digest()  # before importing, so a change made meanwhile shows as a mismatch
    _exit_with(os.getppid())
    for name in PRELOAD:
        _quiet_import(name)
    # Warming up, one step at a time while no request waits: a first chart, packs, modules.
    later = deque([(_warm_charts, ()), *((_quiet_import, (name,)) for name in PRELOAD_LATER), (_warm_render, ())])
    try:
        _reply(replies, {"ready": True, "pid": os.getpid(), "digest": digest})
        while True:
            while later and not select.select([requests], [], [], 0)[0]:
                function, args = later.popleft()
                _quietly(function, *args)
            request = pickle.loads(_read_exactly(requests, int.from_bytes(_read_exactly(requests, 8), "little")))
            if request["kind"] == "warm":  # the pack the coming kernels will load: first in line
                later.appendleft((_warm_pack, (request["data_dir"],)))
                _reply(replies, {"ok": True})
                continue
            server = os.getpid()
            try:
                pid = os.fork()
            except OSError as exc:
                _reply(replies, {"error": str(exc)})
                continue
            if pid == 0:
                os.close(status_fd)
                replies.close()
                _forked_child(request, server)  # never returns
            threading.Thread(target=_reap, args=(pid, status_fd), name=f"reap-{pid}", daemon=True).start()
            _reply(replies, {"pid": pid})
    except (EOFError, pickle.UnpicklingError, OSError):
        os._exit(0)  # the run has gone: children die with us (PR_SET_PDEATHSIG)


def _reap(pid: int, status_fd: int) -> None:  # pragma: no cover - in the server
    """Wait for child ``pid`` to end and report its pid and wait status (one raw write: no lock that
    a fork could copy held, and atomic on a pipe). Only our own children: the server's other
    subprocesses (a warm-up may start one) are left to whoever started them."""
    _, status = os.waitpid(pid, 0)
    try:
        os.write(status_fd, STATUS.pack(pid, status))
    except OSError:
        os._exit(0)  # nobody listens: the run has gone


def _exit_with(parent: int) -> None:
    """End this process as soon as ``parent`` has gone, whatever the main thread is doing (an import,
    a warm-up): its kernels and jobs then die too (PR_SET_PDEATHSIG)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from a pipe (reads from pipes may come short); ``EOFError`` when it closes."""
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _reply(replies, message: dict) -> None:
    pickle.dump(message, replies)
    replies.flush()


def _quietly(function, *args) -> None:
    """Warm up without a word: what modules say on import, kernels say again when they import;
    and a warm-up that fails only means a kernel does that work itself."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - warming up is an optimisation only
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _quiet_import(name: str) -> None:
    _quietly(importlib.import_module, name)


def _warm_pack(data_dir: str) -> None:
    """Load the validated pack and keep it in the server, so that kernels forked afterwards find it
    in memory. It is matched on the pack cache's own key (the SHA-256 of every file and the code
    digest), so a kernel gets it only while every file's content is what it was; each kernel still
    builds its own context from it."""
    from audit_pipeline.pack.cache import load_pack_cached

    load_pack_cached(data_dir, keep=True)


def _warm_charts() -> None:
    """Draw one throw-away chart, so that kernels start with matplotlib's fonts and renderer loaded
    (their first chart costs about half as much). Global settings are restored afterwards."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context():
        try:
            import seaborn

            seaborn.set_theme(style="whitegrid", font="DejaVu Sans")
        except ImportError:
            pass
        figure = Figure(figsize=(7.5, 3.6))
        axes = figure.subplots()
        axes.plot(["2013-14 Q1", "2013-14 Q2"], [1.5, 2.5], marker="o", linestyle="--", label="Warm-up (£ million)")
        axes.bar(["2013-14 Q1", "2013-14 Q2"], [1, 2], hatch="//")
        axes.set_title("Warm-up, 0123456789", loc="left")
        axes.set_ylabel("£ million")
        axes.legend(frameon=False, fontsize=8)
        axes.tick_params(axis="x", labelrotation=45, labelsize=8)
        figure.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")


def _warm_render() -> None:
    """Render a small report to HTML and PDF, so that renderings start with the templates' modules,
    the stylesheet's fonts and WeasyPrint's layout machinery loaded (half a second each)."""
    import nbformat

    from audit_pipeline.report import render

    nb = nbformat.v4.new_notebook()
    table = "<table><caption>Warm-up</caption><tr><th scope='col'>Item</th><th>£ million</th></tr><tr><td>One</td><td>9.8</td></tr></table>"
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Warm-up\n\nSome *emphasis*, some **strong** words and `code`."),
        nbformat.v4.new_code_cell(
            "table", outputs=[nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "table"})]
        ),
    ]
    resources = {"report": render.notebook_resources(nb, "warm-up"), "metadata": {"name": "warm-up"}}
    body, _ = render.html_exporter().from_notebook_node(nb, resources=resources)
    render.pdf_bytes(body)


def _forked_child(request: dict, server: int) -> None:  # pragma: no cover - runs in a forked child
    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client does, so signals reach the kernel only
        _die_with_parent()
        if os.getppid() != server:
            os._exit(1)
        _reseed()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        if request["kind"] == "kernel":
            os.dup2(null, 2)  # as for a kernel started directly: its own log is not ours
            code = _run_kernel(request["argv"], server)
        else:
            code = _run_job(request)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    finally:
        os._exit(code)


def _reseed() -> None:
    """Fresh random state, as a process started from scratch has: a fork copies the server's, so
    every kernel would otherwise draw the same "random" numbers."""
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _die_with_parent() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run_kernel(argv: list[str], server: int) -> int:  # pragma: no cover - runs in a forked child
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts the working folder back
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    # The kernel watches its parent (the server) and exits when it goes, as with JPY_PARENT_PID.
    IPKernelApp.launch_instance(argv=[*argv, f"--IPKernelApp.parent_handle={server}"])
    return 0


def _run_job(request: dict) -> int:  # pragma: no cover - runs in a forked child
    result = Path(request["result"])
    try:
        module, name = request["function"]
        value = ("ok", getattr(importlib.import_module(module), name)(*request["args"]))
    except BaseException as exc:  # noqa: BLE001 - handed back to the caller
        value = ("error", exc, traceback.format_exc())
    temporary = result.with_name(result.name + ".tmp")
    try:
        data = pickle.dumps(value)
    except Exception:  # noqa: BLE001 - an exception that does not pickle
        data = pickle.dumps(("error", RuntimeError(repr(value[1])), value[-1]))
    temporary.write_bytes(data)
    temporary.replace(result)
    return 0
