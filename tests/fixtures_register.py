"""Session fixtures for the figure register tests: one real run of every period, HTML and PDF.

``register_run``: ``pipeline.py run --all --jobs 2`` of the bundled pack (every period in
``REGISTER_PERIODS``) into a temporary folder, with its own pack cache. ``second_pack`` and
``second_run``: the second pack, written and run whole.

Each is built once per test session even when pytest-xdist runs tests in several workers: the
first worker that needs it builds it under a lock in the session's shared temporary folder, and
the others wait for it and reuse it (``_shared``).
"""

from __future__ import annotations

import csv
import fcntl
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "ngss"
with (DATA / "periods.csv").open(newline="", encoding="utf-8") as _handle:
    REGISTER_PERIODS = tuple(row["period_id"] for row in csv.DictReader(_handle))


def run_pipeline(out: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(cache)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


def _shared(tmp_path_factory, name: str, build: Callable[[Path], Path]) -> Path:
    """``build(folder)`` once per session, shared by the xdist workers; what it returned.

    Without xdist the folder is the session's own. With it, the workers' temporary folders
    share a parent: the first worker there builds under an ``flock``, the others wait for it
    and reuse the result (or fail with the first one's error, without building again).
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent
    folder, done, failed = root / name, root / f"{name}.built", root / f"{name}.failed"
    with (root / f"{name}.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():
            pytest.fail(f"{name} failed in another worker:\n{failed.read_text(encoding='utf-8')}")
        if done.exists():
            return Path(done.read_text(encoding="utf-8"))
        folder.mkdir()
        try:
            result = build(folder)
        except BaseException as exc:
            if not isinstance(exc, KeyboardInterrupt):
                failed.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
            raise
        done.write_text(str(result), encoding="utf-8")
        return result


def _run_sample_pack(base: Path) -> Path:
    done = run_pipeline(
        base / "out", "run", "--data", str(DATA), "--all", "--jobs", "2", "--format", "html,pdf", cache=base / "cache"
    )
    assert done.returncode == 0, done.stderr
    return base / "out" / "ngss"


@pytest.fixture(scope="session")
def register_run(tmp_path_factory) -> Path:
    """The programme folder of a run of every period of the bundled pack (HTML and PDF)."""
    return _shared(tmp_path_factory, "register-run", _run_sample_pack)


@pytest.fixture(scope="session")
def second_pack(tmp_path_factory) -> Path:
    """The second pack (``second_pack.write_second_pack``: programme hrx, half-years, XLSX, commentary)."""
    from second_pack import write_second_pack

    return _shared(tmp_path_factory, "second-pack", lambda base: write_second_pack(base / "hrx"))


@pytest.fixture(scope="session")
def second_run(second_pack, tmp_path_factory) -> Path:
    """The programme folder of a run of every period of the second pack (HTML and PDF)."""

    def build(base: Path) -> Path:
        done = run_pipeline(base / "out", "run", "--data", str(second_pack), "--all", cache=base / "cache")
        assert done.returncode == 0, done.stderr
        return base / "out" / "hrx"

    return _shared(tmp_path_factory, "second-run", build)
