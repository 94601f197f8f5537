"""Session fixtures for the figure register tests: one real run of several periods, HTML and PDF.

``register_run``: ``pipeline.py run`` of three periods of the bundled pack (the first, one with
not-collated returns, the latest) into a temporary folder, with its own pack cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "ngss"
REGISTER_PERIODS = ("2012-13-Q4", "2013-14-Q4", "2015-16-Q4")


def run_pipeline(out: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(cache)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="session")
def register_run(tmp_path_factory) -> Path:
    """The programme folder of a run of ``REGISTER_PERIODS`` (HTML and PDF)."""
    base = tmp_path_factory.mktemp("register-run")
    periods = [a for p in REGISTER_PERIODS for a in ("--period", p)]
    done = run_pipeline(
        base / "out", "run", "--data", str(DATA), *periods, "--format", "html,pdf", cache=base / "cache"
    )
    assert done.returncode == 0, done.stderr
    return base / "out" / "ngss"


@pytest.fixture(scope="session")
def second_pack(tmp_path_factory) -> Path:
    """The second pack (``second_pack.write_second_pack``: programme hrx, half-years, XLSX, commentary)."""
    from second_pack import write_second_pack

    return write_second_pack(tmp_path_factory.mktemp("second-pack") / "hrx")


@pytest.fixture(scope="session")
def second_run(second_pack, tmp_path_factory) -> Path:
    """The programme folder of a run of every period of the second pack (HTML and PDF)."""
    base = tmp_path_factory.mktemp("second-run")
    done = run_pipeline(base / "out", "run", "--data", str(second_pack), "--all", cache=base / "cache")
    assert done.returncode == 0, done.stderr
    return base / "out" / "hrx"
