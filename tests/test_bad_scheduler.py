"""A bad Dask scheduler address ends the run quickly with one line: nothing listening, or garbage answering.

A throw-away TCP server on 127.0.0.1 writes bytes that are not Dask's protocol and hangs up; the
run must stop within 10 s (beyond what a run that fails at once takes on this machine), exit 1
or 2, print one ``Error:`` line and no ``Exception ignored`` noise or traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAND_PACK = ROOT / "tests" / "fixtures" / "hand_pack"
GARBAGE = b"HTTP/1.0 200 OK\r\n\r\n\x00\xff not dask \xff\x00" * 8

pytestmark = pytest.mark.slow


@pytest.fixture
def garbage_server():
    """A TCP server on 127.0.0.1 that answers every connection with garbage and closes it (at most 200)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        for _ in range(200):
            if stop.is_set():
                return
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with contextlib.suppress(OSError):
                conn.sendall(GARBAGE)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def _free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, str(ROOT / "pipeline.py"), "run", "--out", str(tmp_path / "out"), "--format", "html"]
    start = time.monotonic()
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=120)
    return done, time.monotonic() - start


@pytest.mark.parametrize("where", ["garbage", "nothing"])
def test_bad_scheduler_ends_quickly_in_one_line(tmp_path, garbage_server, where):
    port = garbage_server if where == "garbage" else _free_port()
    # What a run that fails at once (a missing data folder) costs here: start-up, under this machine's load.
    _, baseline = _run(tmp_path, "--data", str(tmp_path / "missing"))
    done, elapsed = _run(
        tmp_path, "--data", str(HAND_PACK), "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"
    )
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert elapsed - baseline < 10, f"took {elapsed:.1f} s ({baseline:.1f} s to fail at once)"
    progress = re.compile(r"^\[\d+/\d+ [\d.]+s\] ")  # the run's progress lines
    said = [line for line in done.stderr.splitlines() if line.strip() and not progress.match(line)]
    assert len(said) == 1 and said[0].startswith("Error: cannot reach the Dask scheduler"), done.stderr
    assert ("not a Dask scheduler" if where == "garbage" else "nothing answers there") in said[0]
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "ngss").exists() or not any((tmp_path / "out" / "ngss").glob("*/report.html"))
