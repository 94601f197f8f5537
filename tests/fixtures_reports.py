"""Session fixtures for the document and browser tests: real pipeline runs, each done once.

A test module loads them with ``pytest_plugins = ["fixtures_reports"]``, so each
session-scoped run is registered once and shared by every module that uses it.

- ``rendered``: ``pipeline.py run --period 2013-14-Q4`` on the bundled pack (HTML and PDF).
- ``rerendered``: the same command again into another folder, for byte-identity.
- ``hostile``: a copy of the pack whose free text holds markup and script (HTML only).

Each is built once per session even when pytest-xdist runs several workers: the first worker
that needs it builds it under a lock and the others reuse it (``fixtures_register._shared``).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures_register import _shared

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "ngss"
PERIOD = "2013-14-Q4"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Markup in the data pack's free text. Each would set ``window.__xss_ran`` or open a dialog if it ran.
SCRIPT = '<script>window.__xss_ran = "script"</script>'
IMG = "<img src=x onerror=\"window.__xss_ran = 'img'; alert(1)\">"
HOSTILE_TEXT = {
    # (file, key column, key, column): value
    ("recommendations.csv", "rec_id", "pac12-01", "text"): f"Lead the strategy {SCRIPT} {IMG}",
    ("recommendation_status.csv", "rec_id", "pac12-01", "evidence"): f"Evidence {IMG} {SCRIPT}",
    ("bodies.csv", "body_id", "dft", "name"): f"Department for Transport {SCRIPT}",
}


@dataclass(frozen=True)
class Run:
    """A published period (and its programme's index) from one pipeline run."""

    out: Path

    @property
    def programme(self) -> Path:
        return self.out / "ngss"

    @property
    def period(self) -> Path:
        return self.programme / PERIOD

    @property
    def html(self) -> Path:
        return self.period / "report.html"

    @property
    def pdf(self) -> Path:
        return self.period / "report.pdf"

    @property
    def index(self) -> Path:
        return self.programme / "index.html"


def start_pipeline(
    out: Path, data: Path = DATA, formats: str = "html,pdf", cache: Path | None = None
) -> subprocess.Popen:
    """``pipeline.py run`` for the test period, started in the background."""
    command = [sys.executable, str(ROOT / "pipeline.py"), "run", "--data", str(data), "--period", PERIOD]
    env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(cache)} if cache else None
    return subprocess.Popen(
        [*command, "--out", str(out), "--format", formats],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(process: subprocess.Popen, what: str) -> None:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, f"{what} failed ({process.returncode}):\n{stdout}\n{stderr}"


def hostile_pack(target: Path) -> Path:
    """A copy of the bundled pack with ``HOSTILE_TEXT`` written into it (through the csv module)."""
    shutil.copytree(DATA, target)
    for (name, key_column, key, column), value in HOSTILE_TEXT.items():
        path = target / name
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        changed = [row for row in rows if row[key_column] == key]
        assert changed, f"{name} has no {key_column} {key}"
        for row in changed:
            row[column] = value
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return target


def _build(start: Callable[[Path], subprocess.Popen], what: str) -> Callable[[Path], Path]:
    """A builder for ``_shared``: run ``start(folder)`` to the end; the folder."""

    def build(base: Path) -> Path:
        _finish(start(base), what)
        return base

    return build


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> Run:
    """The bundled pack's test period, rendered as HTML and PDF."""
    return Run(_shared(tmp_path_factory, "reports-first", _build(start_pipeline, "pipeline run")))


@pytest.fixture(scope="session")
def rerendered(rendered, tmp_path_factory) -> Run:
    """A second run of the same command on the same inputs, into another folder (after the first)."""
    return Run(_shared(tmp_path_factory, "reports-second", _build(start_pipeline, "second pipeline run")))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Run:
    """The period rendered (HTML only) from a pack whose free text holds markup and script."""

    def start(base: Path) -> subprocess.Popen:
        # its own pack cache, so the hostile copy leaves nothing in the repository's cache
        return start_pipeline(base / "out", hostile_pack(base / "pack"), "html", base / "cache")

    return Run(_shared(tmp_path_factory, "reports-hostile", _build(start, "pipeline run on the hostile pack")) / "out")
