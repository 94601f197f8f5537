"""The fork server: one process that imports what kernels and renderings need, then forks them.

Kernels are cheap to start this way: the server (one per run, or per Dask worker) imports
IPython, pandas, matplotlib, this package, nbconvert and WeasyPrint once, then forks a fresh
process for each kernel or job. Every notebook still runs in a new process with nothing of any
other notebook in it; only the imports (and the validated pack, see ``warm``) are shared, and
each child reseeds ``random`` and NumPy's global generator, so no two kernels draw the same
numbers. The server reaps its children and reports each one's real exit status (a signal is a
negative code, as with ``subprocess``). Its children die with it, and it dies with the process
that started it (its pipe closes), so a killed run leaves no kernels behind. A server whose code
is stale is retired: it closes as soon as its last child has finished.

Kernels reach the server through ``audit_pipeline.run.provisioner``. Set ``AUDIT_PIPELINE_FORK=0``
to start every kernel and rendering from scratch instead (slower, same outputs).

This module is the client side; ``audit_pipeline.run.forkchild`` is what runs in the server.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from audit_pipeline.settings import ROOT, code_digest

TEMP_PREFIX = "audit-pipeline-"  # + pid of the process that made it + kind: temporary folders (see sweep)
STATUS = struct.Struct("<ii")  # what the server reports when a child ends: its pid and wait status


def send(stream, message: dict) -> None:
    """A request to the server: its length, then the pickle (the server reads it unbuffered)."""
    data = pickle.dumps(message)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


class ForkedProcess:
    """A ``Popen``-like handle on a process forked by the server (not our child: the server reaps
    it and reports its exit status, which ``returncode`` then holds, negative for a signal)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, server: ForkServer):
        self.pid = pid
        self.server = server

    @property
    def returncode(self) -> int | None:
        return self.server.exit_code(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self.server.wait_for(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        return code

    def send_signal(self, signum: int) -> None:
        """Signal its process group (it leads one, as a kernel started by jupyter_client does)."""
        if self.poll() is not None:
            return
        try:
            os.killpg(self.pid, signum)
        except OSError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)  # it has not called setsid() yet
        if signum == signal.SIGKILL:
            self.server.wait_for(self.pid, 1.0)  # gone at once, so the next poll sees it

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """Client side of the fork server: start it, ask it for kernels and jobs, hear how they ended."""

    def __init__(self):
        env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND=os.environ.get("MPLBACKEND", "Agg"))
        status_read, status_write = os.pipe()
        code = "import sys; sys.path.insert(0, sys.argv[1]); from audit_pipeline.run.forkchild import main; main(int(sys.argv[2]))"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(ROOT), str(status_write)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=tempfile.gettempdir(),
            pass_fds=(status_write,),
        )
        os.close(status_write)
        self.lock = threading.Lock()  # one request (and its reply) at a time on the pipe
        self.ended = threading.Condition()  # guards what follows, notified when a child ends
        self.hello: dict | None = None
        self.running: set[int] = set()
        self.codes: dict[int, int] = {}
        self.gone = False  # the server has ended (its children with it)
        self.retired = False
        threading.Thread(target=self._hear, args=(status_read,), name="fork-server-status", daemon=True).start()

    def _hear(self, fd: int) -> None:
        """Record each child's exit status as the server reports it; when the server ends, the
        children it still had were killed with it."""
        with os.fdopen(fd, "rb", buffering=0) as stream:
            while True:
                record = _read_exactly(stream, STATUS.size)
                with self.ended:
                    if record is None:
                        self.gone = True
                        for pid in self.running:
                            self.codes.setdefault(pid, -signal.SIGKILL)
                        self.running.clear()
                        self.ended.notify_all()
                        return
                    pid, status = STATUS.unpack(record)
                    self.codes[pid] = os.waitstatus_to_exitcode(status)
                    self.running.discard(pid)
                    self.ended.notify_all()
                    last = self.retired and not self.running
                if last:
                    self.end()

    def exit_code(self, pid: int) -> int | None:
        with self.ended:
            return self.codes.get(pid)

    def wait_for(self, pid: int, timeout: float | None = None) -> int | None:
        """The exit code of child ``pid`` once it has ended; ``None`` if it is still running after ``timeout``."""
        with self.ended:
            self.ended.wait_for(lambda: pid in self.codes, timeout)
            return self.codes.get(pid)

    def busy(self) -> bool:
        """Whether any kernel or job it forked is still running."""
        with self.ended:
            return bool(self.running)

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
        return self.process.poll() is None and not self.retired

    def warm(self, data_dir: str) -> None:
        """Ask the server to load this pack (validated, from the pack cache) while it waits for requests,
        so that the kernels forked afterwards find it loaded (while its files' contents are unchanged)."""
        self.ready()
        with self.lock:
            send(self.process.stdin, {"kind": "warm", "data_dir": str(data_dir)})
            pickle.load(self.process.stdout)

    def spawn(self, request: dict) -> ForkedProcess:
        """Fork a kernel (``kind`` ``kernel``: ``argv``) or a job (``job``: ``function``, ``args``,
        ``result``), in ``request['cwd']`` with ``request['env']``."""
        self.ready()
        with self.lock:
            send(self.process.stdin, request)
            reply = pickle.load(self.process.stdout)
            if "error" in reply:
                raise OSError(f"the kernel fork server could not fork: {reply['error']}")
            with self.ended:
                if reply["pid"] not in self.codes:  # it may have ended already
                    self.running.add(reply["pid"])
        return ForkedProcess(reply["pid"], self)

    def retire(self) -> None:
        """Take no more requests; close once every child has finished (at once when none runs)."""
        with self.ended:
            self.retired = True
            idle = not self.running
        if idle:
            self.end()

    def end(self) -> None:
        """End it now, whatever it is doing (a warm-up may take seconds): for a server with no children."""
        self.close(wait=False)
        with contextlib.suppress(OSError):
            self.process.terminate()

    def close(self, wait: bool = True) -> None:
        """Close its pipe, which ends it (and so its children); with ``wait``, until it has gone."""
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()
        if not wait:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _read_exactly(stream, size: int) -> bytes | None:
    """``size`` bytes from an unbuffered pipe (reads may come short); ``None`` when it closes."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def fork_enabled() -> bool:
    """Whether kernels and renderings are forked (Linux, unless ``AUDIT_PIPELINE_FORK=0``)."""
    return os.environ.get("AUDIT_PIPELINE_FORK", "1") != "0" and sys.platform == "linux"


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
    """The fork server, ready and running the package's current code; ``None`` when it cannot be used.

    A server whose code is stale is retired: kernels of it may still be running, so it closes
    once they have finished, and a new one is started."""
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
                _server = None
        server.retire()
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
        code = server.spawn(request).wait()
        if not result.exists():
            raise RuntimeError(f"{function[0]}.{function[1]} died without a result ({describe_exit(code)})")
        value = pickle.loads(result.read_bytes())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if value[0] == "error":
        raise value[1]
    return value[1]


def describe_exit(code: int | None) -> str:
    """How a process ended, in words: ``exited with status 3``, ``killed by signal SIGKILL``."""
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"killed by signal {name}{hint}"
    return f"exited with status {code}"


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
