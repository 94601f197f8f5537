"""Helpers for the tests that run the pipeline end to end: incremental runs, faults, Dask, progress.

Runs go through the command line in a subprocess, as people use it, on the hand-computable
pack (3 periods) and HTML only, to stay quick. ``code_snapshot`` copies the package,
notebooks and templates once per test module, so that the code digest (part of every unit's
key) cannot change between the runs a test compares while the working tree is being edited.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAND_PACK = ROOT / "tests" / "fixtures" / "hand_pack"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
PERIODS = ("A", "B", "C")  # the hand pack's periods, in reporting order
REQUIRED = ("report.html", "metrics.json", "manifest.json")


def code_snapshot(folder: Path) -> Path:
    """A copy of what a run executes (package, notebooks, templates, entry point) in ``folder``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("audit_pipeline", "notebooks"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    for name in ("pipeline.py", "requirements.txt"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, folder / name)
    return folder


def environment(code: Path, **extra: str) -> dict[str, str]:
    """The environment of a run of the snapshot ``code``: its package first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_PIPELINE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["AUDIT_PIPELINE_CACHE"] = str(code / ".cache")
    env.update(extra)
    return env


def command(code: Path, *args: str) -> list[str]:
    return [sys.executable, str(code / "pipeline.py"), *args]


def cli(code: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    """Run ``pipeline.py *args`` from the snapshot ``code``; stdout and stderr captured as text."""
    return subprocess.run(
        command(code, *args), capture_output=True, text=True, cwd=code, env=environment(code, **extra), timeout=timeout
    )


def run_args(pack: Path, out: Path, *more: str) -> list[str]:
    return ["run", "--data", str(pack), "--out", str(out), "--format", "html", *more]


def copy_pack(folder: Path) -> Path:
    shutil.copytree(HAND_PACK, folder)
    return folder


def units_logged(log: str, word: str) -> set[tuple[str, str]]:
    """``(period, notebook)`` of each ``executed`` (or ``reused``) line of a run's plain log."""
    return set(re.findall(rf"^\[\d+/\d+ [\d.]+s\] (\S+): {word} (\S+\.ipynb)$", log, flags=re.M))


def every_unit(periods=PERIODS, notebooks=NOTEBOOKS) -> set[tuple[str, str]]:
    return {(p, nb) for p in periods for nb in notebooks}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def published(programme: Path) -> dict[str, dict[str, bytes]]:
    """Each published period folder's files (hidden staging and retired folders left out)."""
    return {p.name: tree(p) for p in sorted(programme.iterdir()) if p.is_dir() and p.name in PERIODS}


def assert_complete(folder: Path, notebooks=NOTEBOOKS) -> None:
    """A published period folder is whole: report, metrics, manifest and every executed notebook."""
    names = {p.name for p in folder.iterdir()}
    assert set(REQUIRED) <= names, f"{folder} lacks {set(REQUIRED) - names}"
    assert sorted(p.name for p in (folder / "notebooks").glob("*.ipynb")) == sorted(notebooks), folder
    assert (folder / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>"), folder


def period_a_published(base: Path):
    """A code snapshot, a copy of the hand pack and period A published from them, under ``base``."""
    from types import SimpleNamespace

    code = code_snapshot(base / "code")
    pack = copy_pack(base / "pack")
    out = base / "out"
    result = cli(code, *run_args(pack, out, "--period", "A", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    return SimpleNamespace(base=base, code=code, pack=pack, out=out, programme=out / "hand", period=out / "hand" / "A")
