"""Execute section notebooks with Papermill, each in a fresh kernel of its own.

Parameters are checked against each notebook's ``parameters`` cell before any
kernel starts. Executed notebooks are normalised (no timings, stable cell ids)
so reruns on the same inputs give the same bytes.

Kernels are cheap to start: a *fork server* (one process per run, or per Dask
worker) imports once what kernels and reports need (IPython, pandas,
matplotlib, this package, nbconvert, WeasyPrint), then forks a fresh process
for each kernel. Every notebook still runs in a new process with nothing of
any other notebook in it; only the imports are shared. The server's children
die with it, and it dies with the process that started it (its pipe closes),
so a killed run leaves no kernels behind. Set ``AUDIT_PIPELINE_FORK=0`` to
start every kernel from scratch instead (slower, same outputs).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from pathlib import Path

from audit_pipeline.errors import NotebookExecutionError, UsageError
from audit_pipeline.settings import DEFAULT_DATA, DEFAULT_TIMEOUT, NOTEBOOK_DIR, ROOT, code_digest

TYPE_CHECKS = {"str": str, "int": int, "float": (int, float), "bool": bool}
TEMP_PREFIX = "audit-pipeline-"  # + pid of the process that made it + kind: temporary folders (see sweep)

# What the fork server imports before forking kernels (a missing one is simply not preloaded) ...
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
    "audit_pipeline.report.index",
    "audit_pipeline.report.render",
    "audit_pipeline.report.exporters",
    "nbconvert",
    "weasyprint",
)


# ---- the fork server ---------------------------------------------------------------------------


def _fork_server_main() -> None:  # pragma: no cover - runs in the server process
    """Import ``PRELOAD``, say ready, then fork one child per request read from stdin until it closes."""
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
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    # Warming up, one step at a time while no request waits: a first chart, contexts, modules.
    later = deque([(_warm_charts, ()), *((_quiet_import, (name,)) for name in PRELOAD_LATER), (_warm_render, ())])
    try:
        _reply(replies, {"ready": True, "pid": os.getpid(), "digest": digest})
        while True:
            while later and not select.select([requests], [], [], 0)[0]:
                function, args = later.popleft()
                _quietly(function, *args)
            request = pickle.loads(_read_exactly(requests, int.from_bytes(_read_exactly(requests, 8), "little")))
            if request["kind"] == "warm":  # contexts the coming kernels will load: first in line
                later.extendleft((_warm_context, (request["data_dir"], pid)) for pid in reversed(request["periods"]))
                _reply(replies, {"ok": True})
                continue
            server = os.getpid()
            try:
                pid = os.fork()
            except OSError as exc:
                _reply(replies, {"error": str(exc)})
                continue
            if pid == 0:
                replies.close()
                _forked_child(request, server)  # never returns
            _reply(replies, {"pid": pid})
    except (EOFError, pickle.UnpicklingError, OSError):
        os._exit(0)  # the run has gone: children die with us (PR_SET_PDEATHSIG)


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


def _send(stream, message: dict) -> None:
    """A request to the server: its length, then the pickle (see ``_read_exactly``)."""
    data = pickle.dumps(message)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


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


_contexts: dict[tuple[str, str | None], tuple[tuple, object]] = {}


def _pack_signature(directory: str) -> tuple:
    """What the files of a pack folder look like now (names, sizes, times, inodes): cheap to take."""
    with os.scandir(directory) as entries:
        return tuple(
            sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns, e.inode()) for e in entries if e.is_file())
        )


def _warm_context(data_dir: str, period_id: str) -> None:
    """Load a period's context in the server, so that every kernel forked afterwards finds it made.

    ``audit_pipeline.report.context.load_context`` is wrapped (in the server, hence in its children) to
    hand back the context made here while the pack's files are as they were when it was made;
    otherwise, or for any other period, it loads as usual."""
    from audit_pipeline.report import context

    original = getattr(context.load_context, "original", context.load_context)
    if context.load_context is original:

        def load_context(data_dir=None, period_id=None):
            folder = str(Path(data_dir or DEFAULT_DATA).resolve())
            made = _contexts.get((folder, period_id))
            if made is not None and made[0] == _pack_signature(folder):
                return made[1]
            return original(data_dir, period_id)

        load_context.original = original
        load_context.__doc__ = original.__doc__
        context.load_context = load_context
    folder = str(Path(data_dir).resolve())
    signature = _pack_signature(folder)
    _contexts[(folder, period_id)] = (signature, original(folder, period_id))


def _forked_child(request: dict, server: int) -> None:  # pragma: no cover - runs in a forked child
    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client does, so signals reach the kernel only
        _die_with_parent()
        if os.getppid() != server:
            os._exit(1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
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


class ForkedProcess:
    """A ``Popen``-like handle on a process forked by the server (not our child: watched by pidfd)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._fd, self.returncode = None, 0

    def _exited(self, timeout: float | None) -> bool:
        if self._fd is None:
            return True
        readable, _, _ = select.select([self._fd], [], [], timeout)
        if readable:
            os.close(self._fd)
            self._fd, self.returncode = None, 0
        return bool(readable)

    def poll(self) -> int | None:
        self._exited(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal its process group (it leads one, as a kernel started by jupyter_client does)."""
        if self.poll() is not None:
            return
        try:
            os.killpg(self.pid, signum)
        except OSError:
            signal.pidfd_send_signal(self._fd, signum)
        if signum == signal.SIGKILL:
            self._exited(1.0)  # gone at once, so the next poll sees it (no 0.1 s polling delay)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)


class ForkServer:
    """Client side of the fork server: start it, ask it for kernels and jobs."""

    def __init__(self):
        root = ROOT

        env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND=os.environ.get("MPLBACKEND", "Agg"))
        code = "import sys; sys.path.insert(0, sys.argv[1]); from audit_pipeline.run.execute import _fork_server_main; _fork_server_main()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=tempfile.gettempdir(),
        )
        self.lock = threading.Lock()
        self.hello: dict | None = None
        self.children: list[ForkedProcess] = []

    def busy(self) -> bool:
        """Whether any kernel or job it forked is still running."""
        with self.lock:
            self.children = [c for c in self.children if c.poll() is None]
            return bool(self.children)

    def ready(self) -> dict:
        """Wait until the server has preloaded; ``RuntimeError`` when it failed to start."""
        with self.lock:
            if self.hello is None:
                try:
                    self.hello = pickle.load(self.process.stdout)
                except (EOFError, pickle.UnpicklingError, OSError) as exc:
                    raise RuntimeError(f"the kernel fork server did not start: {exc}") from None
            return self.hello

    def alive(self) -> bool:
        return self.process.poll() is None

    def warm(self, data_dir: str, periods: list[str]) -> None:
        """Ask the server to load these periods' contexts (in this order) while it waits for requests."""
        self.ready()
        with self.lock:
            _send(self.process.stdin, {"kind": "warm", "data_dir": str(data_dir), "periods": list(periods)})
            pickle.load(self.process.stdout)

    def spawn(self, request: dict) -> ForkedProcess:
        self.ready()
        with self.lock:
            _send(self.process.stdin, request)
            reply = pickle.load(self.process.stdout)
        if "error" in reply:
            raise OSError(f"the kernel fork server could not fork: {reply['error']}")
        child = ForkedProcess(reply["pid"])
        with self.lock:
            self.children.append(child)
        return child

    def close(self, wait: bool = True) -> None:
        """Close its pipe, which ends it (and so its children); with ``wait``, until it has gone."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        if not wait:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_server: ForkServer | None = None
_retired: list[ForkServer] = []
_server_lock = threading.Lock()


def fork_enabled() -> bool:
    return os.environ.get("AUDIT_PIPELINE_FORK", "1") != "0" and hasattr(os, "pidfd_open") and sys.platform == "linux"


def start_fork_server() -> ForkServer | None:
    """The process's fork server, started if need be (it preloads in the background); ``None`` when disabled."""
    global _server
    if not fork_enabled():
        return None
    with _server_lock:
        if _server is not None and not _server.alive():
            _server = None
        if _server is None:
            _server = ForkServer()
        return _server


def fork_server() -> ForkServer | None:
    """The fork server, ready and running the package's current code; ``None`` when it cannot be used."""
    global _server
    server = start_fork_server()
    if server is None:
        return None
    try:
        hello = server.ready()
    except RuntimeError:
        return None
    if hello["digest"] != code_digest():  # the package changed since the server imported it
        with _server_lock:
            if _server is server:
                _retired.append(server)  # kernels of it may still be running: it goes once they are done
                _server = None
            for old in [s for s in _retired if not s.busy()]:
                _retired.remove(old)
                old.close(wait=False)
        server = start_fork_server()
        try:
            server.ready()
        except RuntimeError:
            return None
    return server


def stop_fork_server(wait: bool = True) -> None:
    """Stop the process's fork server: its kernels and jobs end with it."""
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        server.close(wait)


def call_forked(function: tuple[str, str], *args):
    """``module.function(*args)`` in a child of the fork server (in this process when there is none).

    The child's exception, if any, is raised here."""
    server = fork_server()
    if server is None:
        return getattr(importlib.import_module(function[0]), function[1])(*args)
    folder = Path(temporary_folder("job"))
    try:
        result = folder / "result.pickle"
        request = {"kind": "job", "function": function, "args": args, "result": str(result)}
        request.update(env=dict(os.environ), cwd=os.getcwd())
        process = server.spawn(request)
        process.wait()
        if not result.exists():
            raise RuntimeError(f"{function[0]}.{function[1]} died without a result (killed, or out of memory?)")
        value = pickle.loads(result.read_bytes())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if value[0] == "error":
        raise value[1]
    return value[1]


# ---- kernels -------------------------------------------------------------------------------------


def _kernel_manager_class(cwd: str | None = None):
    """A kernel manager on IPC sockets (no TCP ports, so no plain-text warning), its sockets and
    connection file in a private folder, started in ``cwd``, forked from the fork server when
    there is one, and whose own log is discarded: what matters (a failing cell, a dead kernel)
    reaches us through nbclient."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            self._folder = temporary_folder("kernel")
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(self._folder, "k"))
            kwargs.setdefault("connection_file", os.path.join(self._folder, "kernel.json"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if cwd is not None:
                kw["cwd"] = cwd
            server = _forkable(kernel_cmd) and fork_server()
            if not server:
                kw.setdefault("stderr", subprocess.DEVNULL)
                await super()._async_launch_kernel(kernel_cmd, **kw)
            else:
                env = dict(kw.get("env") or os.environ)
                request = {
                    "kind": "kernel",
                    "argv": kernel_cmd[3:],
                    "env": env,
                    "cwd": str(kw.get("cwd") or os.getcwd()),
                }
                process = server.spawn(request)
                provisioner = self.provisioner
                # No pgid: the provisioner then signals through ``process``, which signals the group.
                provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, None
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)
            await self._sockets_bound()

        async def _sockets_bound(self, limit: float = 30.0) -> None:
            """Wait (briefly) until the kernel has bound its sockets, so that the client connects at
            once instead of on its next reconnection attempt, and hears the kernel's first messages."""
            import asyncio
            import time

            ports = [self.shell_port, self.iopub_port, self.stdin_port, self.control_port, self.hb_port]
            paths = [f"{self.ip}-{port}" for port in ports]
            deadline = time.monotonic() + limit
            while not all(os.path.exists(p) for p in paths) and time.monotonic() < deadline:
                if self.provisioner is None or await self.provisioner.poll() is not None:
                    return  # it died: nbclient reports that
                await asyncio.sleep(0.005)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._folder, ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return IPCKernelManager


def _forkable(kernel_cmd: list[str]) -> bool:
    """Only the plain IPython kernel of this very interpreter is forked; anything else is started as usual."""
    return (
        len(kernel_cmd) >= 3
        and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]
        and os.path.realpath(kernel_cmd[0]) == os.path.realpath(sys.executable)
    )


def temporary_folder(kind: str) -> str:
    """A new private folder in the temporary directory, named after this process (see ``sweep_temporary``)."""
    return tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-{kind}-")


def sweep_temporary() -> None:
    """Remove temporary folders (scratch, kernel sockets and connection files) of processes that are gone."""
    base = Path(tempfile.gettempdir())
    for path in base.glob(f"{TEMP_PREFIX}*"):
        pid = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


# ---- notebooks ------------------------------------------------------------------------------------


def section_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The report's section notebooks, in report order (by file name)."""
    return sorted(p for p in directory.glob("[0-9]*.ipynb") if not p.name.startswith("."))


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (name -> type and default)."""
    import papermill

    found = papermill.inspect_notebook(str(path))
    if not found:
        raise UsageError(f"notebook {path.name} has no cell tagged 'parameters' declaring its parameters")
    return found


def check_parameters(path: Path, parameters: dict) -> None:
    """Refuse unknown or mistyped parameters before any kernel starts (papermill only warns)."""
    declared = notebook_parameters(path)
    for name, value in parameters.items():
        if name not in declared:
            raise UsageError(f"notebook {path.name} has no parameter {name!r}; it declares: {', '.join(declared)}")
        type_name = declared[name]["inferred_type_name"]
        optional = type_name.startswith("Optional[")
        base = type_name[len("Optional[") : -1] if optional else type_name
        if value is None and optional:
            continue
        expected = TYPE_CHECKS.get(base)
        if expected and not isinstance(value, expected):
            raise UsageError(
                f"notebook {path.name}: parameter {name!r} must be {type_name}, not {type(value).__name__} ({value!r})"
            )


def normalised(nb, injected_id: str = "injected-parameters"):
    """Remove what varies between runs of the same inputs: timings, random cell ids."""
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = injected_id
        elif not cell.get("id"):
            cell.id = f"cell-{index}"
    return nb


def normalise(path: Path, injected_id: str = "injected-parameters") -> None:
    """``normalised`` for a notebook file, in place."""
    import nbformat

    nbformat.write(normalised(nbformat.read(path, as_version=4), injected_id), path)


def _interrupted_at(exc: BaseException) -> tuple[int | None, object]:
    """The index of the cell nbclient was running when ``exc`` was raised, and the notebook as
    executed so far (both from the traceback: papermill and nbclient keep them in their frames)."""
    import nbformat

    tb, index, nb = exc.__traceback__, None, None
    while tb is not None:
        local = tb.tb_frame.f_locals
        if tb.tb_frame.f_code.co_name in ("async_execute_cell", "execute_cell"):
            index = local["cell_index"] if isinstance(local.get("cell_index"), int) else index
        if isinstance(local.get("nb"), nbformat.NotebookNode):
            nb = local["nb"]
        elif nb is None and isinstance(getattr(local.get("self"), "nb", None), nbformat.NotebookNode):
            nb = local["self"].nb
        tb = tb.tb_next
    return index, nb


def _keep_partial(nb, index: int | None, ename: str, evalue: str, output: Path) -> None:
    """Write the notebook as far as it ran, the error shown under the cell that was stopped."""
    import nbformat

    if nb is None:
        return
    if index is not None and index < len(nb.cells):
        nb.cells[index].setdefault("outputs", []).append(
            nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        )
    with contextlib.suppress(Exception):  # keeping it is a courtesy; the error is reported anyway
        nbformat.write(nb, str(output))


class _QuietAfterTimeout:
    """Drop what nbclient leaves behind when it stops a cell that timed out: its log line, and
    asyncio's complaint about its abandoned output-polling task. The run reports the timeout itself."""

    def filter(self, record) -> bool:
        text = record.getMessage()
        return "_async_poll_output_msg" not in text and "Timeout waiting for execute reply" not in text


def _quieten_logs() -> None:
    import logging

    for name in ("asyncio", "papermill", "nbclient"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietAfterTimeout) for f in logger.filters):
            logger.addFilter(_QuietAfterTimeout())


def _papermill(notebook: Path, parameters: dict, **engine_options):
    """``papermill.execute_notebook(notebook, None, parameters, ...)``, step by step as it does it,
    less what is wasted here: its check of the parameters (``check_parameters`` did it, and
    better) and a serialisation of the result for no file (ours is written once, normalised)."""
    from papermill.engines import papermill_engines
    from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(notebook))
    nb = parameterize_notebook(nb, parameters, False, kernel_name="python3")
    nb = remove_error_markers(prepare_notebook_metadata(nb, str(notebook), "", False))
    nb = papermill_engines.execute_notebook_with_engine(
        None,
        nb,
        input_path=str(notebook),
        output_path=None,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        start_timeout=60,
        stdout_file=None,
        stderr_file=None,
        **engine_options,
    )
    raise_for_execution_errors(nb, None)  # on an error, papermill's error cell goes first
    return nb


def execute(
    notebook: Path,
    output: Path,
    parameters: dict,
    period_id: str,
    timeout: int = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
) -> Path:
    """Run one notebook to ``output`` in a fresh kernel (started in ``cwd``); ``NotebookExecutionError``
    names the failing cell."""
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    _quieten_logs()
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    try:
        nb = _papermill(
            notebook,
            parameters,
            execution_timeout=timeout,
            record_timing=False,
            kernel_manager_class=_kernel_manager_class(str(cwd) if cwd else None),
            shutdown_kernel="immediate",  # every output is in by then; nothing in the kernel to save
        )
    except PapermillExecutionError as exc:
        _keep_partial(_interrupted_at(exc)[1], None, exc.ename, exc.evalue, output)  # with papermill's error cell
        raise NotebookExecutionError(
            period_id, notebook.name, exc.cell_index, exc.ename, exc.evalue, str(output)
        ) from None
    except Exception as exc:  # a timeout or a dead kernel: still name the period, notebook and cell
        if type(exc).__name__ in ("CellTimeoutError", "DeadKernelError", "TimeoutError", "RuntimeError"):
            message = str(exc).splitlines()[0] if str(exc) else ""
            if type(exc).__name__ == "CellTimeoutError":
                message = f"the cell ran longer than the timeout ({timeout} s) and was stopped"
            index, partial = _interrupted_at(exc)
            _keep_partial(partial, index, type(exc).__name__, message, output)
            raise NotebookExecutionError(
                period_id, notebook.name, index, type(exc).__name__, message, str(output)
            ) from None
        raise
    import nbformat

    nbformat.write(normalised(nb), str(output))
    return output
