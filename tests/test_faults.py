"""Faults: runs killed at any moment, two runs at once, a notebook that hangs.

A period's folder is published whole or not at all; a killed run leaves every published
folder as it was (or whole and new), no stale lock, no kernels behind; the next run completes.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from pipeline_runs import (
    NOTEBOOKS,
    assert_complete,
    cli,
    code_snapshot,
    command,
    copy_pack,
    environment,
    published,
    run_args,
    units_logged,
)

pytestmark = pytest.mark.slow

SEED = 20141231
KILLS = 20
PUBLISH_KILL_EVERY = 5  # every fifth kill waits for a publication to be under way, then kills
PAUSE = 0.25  # seconds the test's entry point lingers at each step of a publication
TAG = "AUDIT_FAULT_TEST_RUN"  # marks the environment of every process a run starts

# The entry point for these runs: pipeline.py, with each step of a publication drawn out (and
# announced in a file) so that kills land inside publications too, not only between them.
SLOW_PUBLISH = f'''
import os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_pipeline import publish

MARKS = Path(os.environ["AUDIT_FAULT_MARKS"])
def lingering(name, function, before, after):
    def wrapper(*args, **kwargs):
        MARKS.mkdir(parents=True, exist_ok=True)
        (MARKS / f"{{name}}-{{time.monotonic_ns()}}").touch()
        time.sleep(before)
        result = function(*args, **kwargs)
        time.sleep(after)
        return result
    return wrapper

# Lingering: with the staging folder complete, before the swap; with the new folder swapped in
# and the old one not yet moved away; with the old one removed, before the last fsync.
publish._fsync_dir = lingering("fsync", publish._fsync_dir, {PAUSE}, 0)
publish.exchange = lingering("exchange", publish.exchange, 0, {PAUSE})
from audit_pipeline.cli import main
sys.exit(main())
'''


def variant(pack: Path, which: int) -> None:
    """Two versions of the pack that differ in one file: every report lists its hash."""
    (pack / "README.md").write_text(f"Hand-computed pack, version {which}.\n", encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    code = code_snapshot(base / "code")
    (code / "slow_publish.py").write_text(SLOW_PUBLISH, encoding="utf-8")
    pack = copy_pack(base / "pack")
    return SimpleNamespace(base=base, code=code, pack=pack)


def tagged_processes(tag: str) -> list[str]:
    """Processes (pid and command line) whose environment carries ``TAG=tag``."""
    found = []
    needle = f"{TAG}={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name}: {cmdline[:120]}")
        except OSError:
            continue
    return found


def start(site, out: Path, tag: str, marks: Path, *more: str) -> subprocess.Popen:
    env = environment(site.code, **{TAG: tag, "AUDIT_FAULT_MARKS": str(marks)})
    args = [str(site.code / "slow_publish.py"), *run_args(site.pack, out, "--all", "--jobs", "2", *more)]
    return subprocess.Popen(
        [command(site.code)[0], *args],
        cwd=site.code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(site, out: Path, tag: str) -> subprocess.CompletedProcess:
    marks = site.base / "marks" / tag
    process = start(site, out, tag, marks)
    stderr = process.communicate(timeout=300)[1]
    return subprocess.CompletedProcess(process.args, process.returncode, "", stderr)


def test_killed_at_random_moments_the_published_reports_stay_whole(site):
    out = site.base / "out"
    programme = out / "hand"
    references = {}
    for which in (0, 1):  # what a complete run publishes for each version of the pack
        variant(site.pack, which)
        began = time.monotonic()
        done = finish(site, out, f"reference-{which}")
        assert done.returncode == 0, done.stderr
        references[which] = published(programme)
        duration = time.monotonic() - began  # the second is incremental: the kind of run killed below
    rng = random.Random(SEED)
    killed_pids, publish_kills = [], 0
    for kill in range(KILLS):
        before = published(programme)
        inodes = {p: (programme / p).stat().st_ino for p in before}
        which = kill % 2
        variant(site.pack, which)
        tag = f"kill-{kill}-{uuid.uuid4().hex[:8]}"
        marks = site.base / "marks" / tag
        process = start(site, out, tag, marks)
        if kill % PUBLISH_KILL_EVERY == PUBLISH_KILL_EVERY - 1:
            deadline = time.monotonic() + 120
            while not (marks.exists() and any(marks.iterdir())) and process.poll() is None:
                assert time.monotonic() < deadline, "no publication began"
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 3 * PAUSE))
            publish_kills += 1
        else:
            time.sleep(rng.uniform(0.05, 1.1 * duration))
        process.kill()  # SIGKILL: no clean-up of any kind
        process.communicate()
        killed_pids.append(process.pid)

        after = published(programme)
        assert set(after) >= set(before), "a published period disappeared"
        for period, files in after.items():
            assert_complete(programme / period)
            if inodes.get(period) == (programme / period).stat().st_ino:
                assert files == before[period], f"kill {kill}: {period} changed in place"
            else:  # swapped in by the killed run: whole, and what a complete run publishes
                assert files in (references[0][period], references[1][period]), f"kill {kill}: {period}"
        deadline = time.monotonic() + 5
        while (left := tagged_processes(tag)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"kill {kill}: processes of the killed run still alive after 5 s:\n" + "\n".join(left)

    final = finish(site, out, "final")
    assert final.returncode == 0, final.stderr
    assert "waiting" not in final.stderr.lower()  # no stale lock
    assert published(programme) == references[(KILLS - 1) % 2]
    assert publish_kills == KILLS // PUBLISH_KILL_EVERY
    assert not [p.name for p in programme.iterdir() if p.name.startswith((".staging", ".retired"))]
    assert not list(programme.glob(".units/.*.tmp"))
    leftovers = [p for pid in killed_pids for p in Path(tempfile.gettempdir()).glob(f"audit-pipeline-{pid}-*")]
    assert not leftovers, leftovers


def _locked(path: Path) -> bool:
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_two_runs_on_one_folder_never_interleave(site):
    """The second run waits (saying so) until the first has finished, then finds nothing to do."""
    out = site.base / "out-concurrent"
    variant(site.pack, 0)
    env = environment(site.code)
    first = subprocess.Popen(
        command(site.code, *run_args(site.pack, out, "--period", "A", "--force")),
        cwd=site.code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not ((out / "hand" / ".lock").exists() and _locked(out / "hand" / ".lock")):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.02)
    second = subprocess.Popen(
        command(site.code, *run_args(site.pack, out, "--period", "A")),
        cwd=site.code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    second_out, second_err = second.communicate(timeout=300)
    assert second.returncode == 0, second_err
    assert "waiting" in second_err.splitlines()[0].lower()
    assert units_logged(first_err, "executed") == {("A", nb) for nb in NOTEBOOKS}
    assert "Nothing to do" in second_out  # it planned after the first had published, not before
    assert "A: up to date" in second_err
    assert_complete(out / "hand" / "A")


def test_a_hanging_notebook_is_stopped_by_the_timeout(site):
    notebooks = site.base / "notebooks-hanging"
    shutil.copytree(site.code / "notebooks", notebooks, ignore=shutil.ignore_patterns("*.py"))
    nb = nbformat.read(notebooks / "01_summary.ipynb", as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("import time; time.sleep(600)"))
    nbformat.write(nb, notebooks / "01_summary.ipynb")
    out = site.base / "out-hanging"
    began = time.monotonic()
    result = cli(
        site.code, *run_args(site.pack, out, "--period", "A", "--timeout", "5", "--notebooks", str(notebooks)),
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - began < 90
    error = result.stderr[result.stderr.index("Error:") :]
    # Cell 5 of the executed notebook: papermill's parameters cell comes before the one added.
    assert re.search(r"period A: notebook 01_summary\.ipynb failed in cell 5: CellTimeoutError: .*timeout \(5 s\)", error), error
    assert "Traceback" not in result.stderr
    kept = out / "hand" / "failed" / "A" / "01_summary.ipynb"
    assert str(kept) in error
    executed = nbformat.read(kept, as_version=4)
    assert executed.cells[5].source == "import time; time.sleep(600)"
    assert executed.cells[5].outputs[-1]["ename"] == "CellTimeoutError"
    assert not (out / "hand" / "A").exists()  # nothing published
    assert os.path.isdir(out / "hand")
