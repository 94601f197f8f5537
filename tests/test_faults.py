"""Faults: runs killed at any moment, two runs at once, a notebook that hangs.

A period's folder is published whole or not at all; a killed run leaves every published
folder as it was (or whole and new), no stale lock, no kernels behind; the next run completes.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from pipeline_runs import (
    NOTEBOOKS,
    PERIODS,
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

from audit_pipeline.measures.periods import all_periods
from audit_pipeline.pack.load import load_pack
from audit_pipeline.run.keys import SliceCache

pytestmark = pytest.mark.slow

SEED = 20141231
KILLS = 20
PUBLISH_KILL_EVERY = 5  # every fifth kill waits for a publication to be under way, then kills
PAUSE = 0.15  # seconds the test's entry point lingers at each step of a publication
TAG = "AUDIT_FAULT_TEST_RUN"  # marks the environment of every process a run starts

# The entry point for these runs: pipeline.py, with each step of a publication drawn out (and
# announced in a file) so that kills land inside publications too, not only between them.
SLOW_PUBLISH = f"""
import os, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_pipeline.run import publish

MARKS = Path(os.environ["AUDIT_FAULT_MARKS"])
PAUSE = float(os.environ.get("AUDIT_FAULT_PAUSE", {PAUSE}))
HOLD = os.environ.get("AUDIT_FAULT_HOLD")  # a file: the first step of a publication waits for it
def lingering(name, function, before, after):
    def wrapper(*args, **kwargs):
        MARKS.mkdir(parents=True, exist_ok=True)
        (MARKS / f"{{name}}-{{time.monotonic_ns()}}").touch()
        deadline = time.monotonic() + 300
        while HOLD and not Path(HOLD).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(before)
        result = function(*args, **kwargs)
        time.sleep(after)
        return result
    return wrapper

# Lingering: with the staging folder complete, before the swap; with the new folder swapped in
# and the old one not yet moved away; with the old one removed, before the last fsync.
publish._fsync_dir = lingering("fsync", publish._fsync_dir, PAUSE, 0)
publish.exchange = lingering("exchange", publish.exchange, 0, PAUSE)
from audit_pipeline.cli import entry
entry()
"""


COST_ROW = "A,b1,central_programme,{},actual,ledger"  # period A's central programme cost: 1.1 in the pack


def version(pack: Path, amount: float) -> dict[tuple[str, str], float]:
    """The pack with period A's central programme cost set to ``amount``: each period then reruns
    its summary, costs and data quality notebooks (they read costs), and its recommendations
    notebook where a previous period's costs are compared, and is rendered again.
    Returns ``{(period, digest): amount}``: the digest of the costs rows each period reads (the
    manifest of every report built from this version lists it)."""
    costs = pack / "costs.csv"
    text = costs.read_text(encoding="utf-8")
    current = next(line for line in text.splitlines() if line.startswith("A,b1,central_programme,"))
    costs.write_text(text.replace(current, COST_ROW.format(f"{amount:.2f}")), encoding="utf-8")
    loaded = load_pack(pack)
    slices = SliceCache(loaded)
    return {(p.period_id, slices.get(p, "costs")): amount for p in all_periods(loaded.tables["periods"])}


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


def phase(log: str, marks: Path) -> str:
    """Where a killed run was, from its log and the publication steps it had begun."""
    steps = len(list(marks.iterdir())) if marks.exists() else 0
    if steps > 3 * log.count(": published\n"):  # each publication: fsync, exchange, fsync
        return "publishing"
    last = log.rstrip().rsplit("\n", 1)[-1]
    for word, name in (("done in", "finished"), (": published", "between publications"), (": rendering", "rendering")):
        if word in last:
            return name
    if ": executed " in last or ": reused " in last:
        return "executing"
    return "planning" if ": to build:" in last else "starting"


def assert_consistent(folder: Path, amounts: dict[tuple[str, str], float]) -> None:
    """A period folder swapped in by a run is whole and of one piece: each notebook is the unit
    its manifest names (as kept in the unit cache), and its figures come from the inputs its
    manifest lists."""
    assert_complete(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, unit in manifest["units"].items():
        (cached,) = (folder.parent / ".units").glob(f"*/{unit['key']}.ipynb")  # .units/<base>/<key>.ipynb
        assert (folder / "notebooks" / name).read_bytes() == cached.read_bytes(), f"{folder.name}/{name}"
    amount = amounts[(folder.name, manifest["inputs"]["files"]["costs.csv"]["digest"])]
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    central = metrics["costs"]["central_programme_to_date_gbp_m"]
    assert central == pytest.approx(amount + (2.2 if folder.name in ("B", "C") else 0.0)), folder.name


def start(
    site, out: Path, tag: str, marks: Path, *more: str, pause: str = str(PAUSE), hold: Path | None = None
) -> subprocess.Popen:
    """`run` (all periods unless ``more`` says otherwise) through the lingering entry point; with
    ``hold``, its publication waits at the first step until that file exists."""
    extra = {"AUDIT_FAULT_HOLD": str(hold)} if hold else {}
    env = environment(site.code, **{TAG: tag, "AUDIT_FAULT_MARKS": str(marks), "AUDIT_FAULT_PAUSE": pause, **extra})
    which = list(more) if "--period" in more else ["--all", *more]
    args = [str(site.code / "slow_publish.py"), *run_args(site.pack, out, *which, "--jobs", "2")]
    return subprocess.Popen(
        [command(site.code)[0], *args],
        cwd=site.code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


class Lines(list):
    reader: threading.Thread


def follow(process: subprocess.Popen) -> Lines:
    """The lines a run logs on standard error, as they come (read by a thread)."""
    lines = Lines()

    def read() -> None:
        for line in process.stderr:
            lines.append(line)

    lines.reader = threading.Thread(target=read, daemon=True)
    lines.reader.start()
    return lines


def finish(site, out: Path, tag: str) -> subprocess.CompletedProcess:
    marks = site.base / "marks" / tag
    process = start(site, out, tag, marks)
    stderr = process.communicate(timeout=300)[1]
    return subprocess.CompletedProcess(process.args, process.returncode, "", stderr)


def test_killed_at_random_moments_the_published_reports_stay_whole(site):
    """Twenty SIGKILLs of `run --all`, each run with a new version of the data (so that it has
    notebooks to execute, reports to render and periods to publish), at random moments (fixed
    seed) spread over a whole run: every fifth one during start-up, every fifth one while a
    publication is under way, the others after a random number of the run's logged events."""
    out = site.base / "out"
    programme = out / "hand"
    amounts = version(site.pack, 1.1)
    done = finish(site, out, "first")  # a cold run: every period published
    assert done.returncode == 0, done.stderr
    amounts.update(version(site.pack, 1.2))
    # the kind of run killed below: 11 notebooks (summary, costs and data quality in A, B and C;
    # recommendations in B and C, whose changes since the previous period read its costs), 3 reports
    done = finish(site, out, "timing")
    assert done.returncode == 0, done.stderr
    assert len(units_logged(done.stderr, "executed")) == 11
    events = len(done.stderr.splitlines())  # what such a run logs, from planning to "done"
    rng = random.Random(SEED)
    killed_pids, publish_kills, phases = [], 0, []
    for kill in range(KILLS):
        before = published(programme)
        inodes = {p: (programme / p).stat().st_ino for p in before}
        amount = round(1.3 + kill / 100, 2)
        amounts.update(version(site.pack, amount))
        tag = f"kill-{kill}-{uuid.uuid4().hex[:8]}"
        marks = site.base / "marks" / tag
        process = start(site, out, tag, marks)
        lines = follow(process)
        deadline = time.monotonic() + 120
        if kill % PUBLISH_KILL_EVERY == PUBLISH_KILL_EVERY - 1:  # once a publication is under way
            while not (marks.exists() and any(marks.iterdir())) and process.poll() is None:
                assert time.monotonic() < deadline, "no publication began"
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 3 * PAUSE))
            publish_kills += 1
        elif kill % PUBLISH_KILL_EVERY == 0:  # during start-up: imports, validation, lock, plan
            time.sleep(rng.uniform(0.05, 1.5))
        else:  # a random moment of the run, whatever the machine's speed: after its n-th event, plus
            # up to half a second
            after_events, extra = rng.randrange(1, events - 1), rng.uniform(0, 0.5)
            while len(lines) < after_events and process.poll() is None:
                assert time.monotonic() < deadline, f"the run logged {len(lines)} events, not {after_events}"
                time.sleep(0.005)
            time.sleep(extra)
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait()
        lines.reader.join(timeout=10)
        phases.append(phase("".join(lines), marks))
        killed_pids.append(process.pid)

        after = published(programme)
        assert set(after) == set(PERIODS), "a published period disappeared"
        for period, files in after.items():
            if inodes[period] == (programme / period).stat().st_ino:
                assert files == before[period], f"kill {kill}: {period} changed in place"
            else:  # swapped in by the killed run
                assert_consistent(programme / period, amounts)
        deadline = time.monotonic() + 5
        while (left := tagged_processes(tag)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"kill {kill}: processes of the killed run still alive after 5 s:\n" + "\n".join(left)

    # The reference: the same data built with no unit cache from the same published state (a new
    # version names the one it supersedes and what changed since).
    shutil.copytree(out, site.base / "out-reference", ignore=shutil.ignore_patterns(".units", ".lock"))
    final = finish(site, out, "final")
    assert final.returncode == 0, final.stderr
    assert "waiting" not in final.stderr.lower()  # no stale lock
    marks = site.base / "marks" / "reference"
    process = start(site, site.base / "out-reference", "reference", marks, "--force")
    reference_err = process.communicate(timeout=300)[1]
    assert process.returncode == 0, reference_err
    assert published(programme) == published(site.base / "out-reference" / "hand")
    assert publish_kills == KILLS // PUBLISH_KILL_EVERY
    print("kills by phase:", {p: phases.count(p) for p in sorted(set(phases))})
    assert {"starting", "executing", "publishing"} <= set(phases), phases  # spread over the whole run
    assert not [p.name for p in programme.iterdir() if p.name.startswith((".staging", ".retired", ".outgoing"))]
    assert not list(programme.glob(".units/*/.*.tmp"))
    leftovers = [p for pid in killed_pids for p in Path(tempfile.gettempdir()).glob(f"audit-pipeline-{pid}-*")]
    assert not leftovers, leftovers


def test_kernels_of_a_killed_run_exit(site):
    """With kernels started from scratch (AUDIT_PIPELINE_FORK=0) their parent is the run itself;
    ipykernel notices when it dies and exits. (Forked kernels die with the fork server, which
    dies with the run: the test above checks that no process of a killed run lives on.)"""
    tag = f"scratch-{uuid.uuid4().hex[:8]}"
    env = environment(site.code, **{TAG: tag, "AUDIT_PIPELINE_FORK": "0"})
    process = subprocess.Popen(
        command(site.code, *run_args(site.pack, site.base / "out-scratch", "--period", "A", "--jobs", "2")),
        cwd=site.code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    kernels: list[str] = []
    while len(kernels) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no kernels started"
        kernels = [p for p in tagged_processes(tag) if "ipykernel_launcher" in p]
        time.sleep(0.05)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while (left := [p for p in tagged_processes(tag) if "ipykernel_launcher" in p]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, "kernels outlived the killed run:\n" + "\n".join(left)


def _locked(path: Path) -> bool:
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_two_runs_on_one_folder_never_interleave(site):
    """The second run waits (saying so) until the first has finished, then finds nothing to do.

    The first run is held at the first step of its publication (the test's entry point waits for
    a file), so it surely holds the lock; the second starts, says it is waiting, and only then is
    the first let go. No timing decides the order."""
    out = site.base / "out-concurrent"
    marks = site.base / "marks" / "concurrent"
    hold = site.base / "let-the-first-go"
    first = start(site, out, "concurrent-first", marks, "--period", "A", "--force", pause="0", hold=hold)
    try:
        deadline = time.monotonic() + 120
        while not (marks.exists() and any(marks.iterdir())):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never began to publish"
            time.sleep(0.02)
        assert _locked(out / "hand" / ".lock")
        second = subprocess.Popen(
            command(site.code, *run_args(site.pack, out, "--period", "A")),
            cwd=site.code,
            env=environment(site.code),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        said = follow(second)
        deadline = time.monotonic() + 120
        while not said:
            assert second.poll() is None and time.monotonic() < deadline, "the second run said nothing"
            time.sleep(0.02)
        assert "waiting" in said[0].lower(), said
        assert first.poll() is None  # still held: the second really is waiting on the first
    finally:
        hold.touch()
    first_err = first.communicate(timeout=300)[1]
    assert first.returncode == 0, first_err
    second_out = second.stdout.read()
    assert second.wait(timeout=300) == 0, "".join(said)
    said.reader.join(timeout=60)
    second_err = "".join(said)
    assert units_logged(first_err, "executed") == {("A", nb) for nb in NOTEBOOKS}
    # It planned only once the first had published, so found A up to date and ran nothing.
    assert "A: up to date" in second_err and not units_logged(second_err, "executed")
    assert "Published" not in second_out
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
        site.code,
        *run_args(site.pack, out, "--period", "A", "--timeout", "5", "--notebooks", str(notebooks)),
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - began < 90
    error = result.stderr[result.stderr.index("Error:") :]
    # Cell 5 of the executed notebook: papermill's parameters cell comes before the one added.
    assert re.search(
        r"period A: notebook 01_summary\.ipynb failed in cell 5 \(In \[\d+\]\): CellTimeoutError: .*timeout \(5 s\)",
        error,
    ), error
    assert "Traceback" not in result.stderr
    kept = out / "hand" / "failed" / "A" / "01_summary.ipynb"
    assert str(kept) in error
    executed = nbformat.read(kept, as_version=4)
    assert executed.cells[5].source == "import time; time.sleep(600)"
    assert executed.cells[5].outputs[-1]["ename"] == "CellTimeoutError"
    assert not (out / "hand" / "A").exists()  # nothing published
    assert os.path.isdir(out / "hand")
