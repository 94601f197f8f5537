"""The fork server's soundness: fresh random state in every child, real exit statuses, old servers
retired promptly, and a warm pack served only while every file's content is unchanged."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from audit_pipeline.run import forkserver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not forkserver.fork_enabled(), reason="the fork server is off (AUDIT_PIPELINE_FORK=0)"),
]

HAND_PACK = Path(__file__).resolve().parent / "fixtures" / "hand_pack"


@pytest.fixture
def server(monkeypatch, tmp_path):
    """The process's fork server, started afresh with a pack cache of the test's own."""
    forkserver.stop_fork_server()
    monkeypatch.setenv("AUDIT_PIPELINE_CACHE", str(tmp_path / "cache"))
    started = forkserver.fork_server()
    yield started
    forkserver.stop_fork_server()


def job(server: forkserver.ForkServer, tmp_path: Path, function: tuple[str, str], *args):
    """Fork a job running ``module.function(*args)``; its handle."""
    request = {"kind": "job", "function": function, "args": args, "result": str(tmp_path / "result.pickle")}
    return server.spawn({**request, "env": dict(os.environ), "cwd": str(tmp_path)})


def gone_within(server: forkserver.ForkServer, seconds: float) -> bool:
    """Whether the server process has ended within ``seconds``."""
    try:
        server.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_every_child_draws_its_own_random_numbers(server):
    numpy_draws = {forkserver.call_forked(("numpy.random", "random")) for _ in range(3)}
    python_draws = {forkserver.call_forked(("random", "random")) for _ in range(3)}
    assert len(numpy_draws) == 3 and len(python_draws) == 3


def test_a_childs_real_exit_status_is_reported(server, tmp_path):
    assert job(server, tmp_path, ("os", "_exit"), 3).wait(timeout=30) == 3
    assert job(server, tmp_path, ("time", "sleep"), 0).wait(timeout=30) == 0
    sleeper = job(server, tmp_path, ("time", "sleep"), 60)
    os.kill(sleeper.pid, signal.SIGKILL)  # as the OOM killer would
    assert sleeper.wait(timeout=30) == -signal.SIGKILL
    assert forkserver.describe_exit(sleeper.returncode).startswith("killed by signal SIGKILL")
    crasher = job(server, tmp_path, ("os", "abort"))
    assert crasher.wait(timeout=30) == -signal.SIGABRT


def test_a_job_that_dies_says_how(server):
    with pytest.raises(RuntimeError, match="died without a result \\(exited with status 7\\)"):
        forkserver.call_forked(("os", "_exit"), 7)


def test_a_retired_server_closes_once_its_children_have_finished(server, tmp_path):
    child = job(server, tmp_path, ("time", "sleep"), 2)
    server.retire()
    assert server.process.poll() is None  # its child still runs: it stays
    assert child.wait(timeout=30) == 0
    assert gone_within(server, 3)


def test_a_stale_server_is_replaced_and_retired(server, tmp_path, monkeypatch):
    monkeypatch.setattr(forkserver, "code_digest", lambda: "the package changed")
    child = job(server, tmp_path, ("time", "sleep"), 1)
    fresh = forkserver.fork_server()
    assert fresh is not server and server.retired
    assert child.wait(timeout=30) == 0
    assert gone_within(server, 3)
    fresh.retire()  # no children: at once
    assert gone_within(fresh, 3)


def test_the_warm_pack_is_never_stale(server, tmp_path):
    """A file edited within the same second, same size, same times: kernels see the new content."""
    pack = shutil.copytree(HAND_PACK, tmp_path / "pack")
    centres = pack / "centres.csv"
    server.warm(str(pack))
    time.sleep(3)  # the server loads it while no request waits
    kept = forkserver.call_forked(("builtins", "eval"), "len(__import__('audit_pipeline.pack.cache').pack.cache.KEPT)")
    assert kept == 1
    first = forkserver.call_forked(("audit_pipeline.pack.cache", "load_pack_cached"), str(pack))
    assert "Centre One" in set(first.tables["centres"]["name"])
    stat = centres.stat()
    text = centres.read_text(encoding="utf-8")
    centres.write_text(text.replace("Centre One", "Centre Uno"), encoding="utf-8")
    os.utime(centres, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (centres.stat().st_size, centres.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    second = forkserver.call_forked(("audit_pipeline.pack.cache", "load_pack_cached"), str(pack))
    assert "Centre Uno" in set(second.tables["centres"]["name"])
    assert "Centre One" not in set(second.tables["centres"]["name"])
