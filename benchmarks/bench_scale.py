#!/usr/bin/env python3
"""Twelve periods of the sample pack: `pipeline.py run` at --jobs 1 and 2 against the naive way.

All runs use one copy of `data/ngss` (unit keys include the pack's folder) and one copy of the
code (so that edits in the working tree meanwhile change nothing) under `benchmarks/_work/scale/`,
and print their figures side by side:

1. cold, HTML and PDF, the 12 latest periods (`--period` x 12): a fresh `--out` and a fresh,
   empty `AUDIT_PIPELINE_CACHE` for each run; `--jobs 1`, then `--jobs 2`; and, for a like for
   like comparison with the naive way, `--jobs 2` with HTML only;
2. the naive way, cold: for each period and section notebook, in sequence, the `papermill`
   command line, then `jupyter nbconvert --to html --no-input` on its output. Nothing for
   PDF: the naive way has no fair PDF equivalent of the report (nbconvert's `--to pdf`
   needs LaTeX, `--to webpdf` a browser, and neither makes one tagged report per period),
   so the naive figure is HTML only while ours includes the PDF;
3. no change: the `--jobs 2` command again, on the same output folder;
4. one body's return corrected: one amount of `costs.csv` changed for one body in one late
   period; the `--jobs 2` command again; which units ran, which were reused, and which
   periods were re-rendered.

Targets: jobs 2 at most 0.15 of the naive time; jobs 2 at least 1.8 times faster than
jobs 1; the no-change rerun at most 3% of the cold jobs-2 time; the correction at most 20%
of it, running only the affected units and re-rendering only their periods. Exit status 1 when one is missed.

    .venv/bin/python benchmarks/bench_scale.py [--periods 12] [--repeat N] [--skip-naive] [--skip-jobs1] [--naive-sample N]

`--naive-sample N` times the naive way on N periods only and scales it to 12 (saves
minutes; the per-period cost of the naive way is flat).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = ROOT / "benchmarks" / "_work" / "scale"
CHANGE = ("2015-16-Q3", "dvla", "departmental_implementation", "0.6", "0.7")  # period, body, type, old, new
LATEST = ("2015-16-Q4", "dvla", "departmental_implementation", "0.6", "0.7")  # the case: the latest period


def sh(command: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-3000:]}")
    return elapsed, result


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def latest_periods(pack: Path, count: int) -> list[str]:
    sys.path.insert(0, str(CODE))
    from audit_pipeline.measures import periods as P
    from audit_pipeline.pack.load import load_pack

    ids = [p.period_id for p in P.all_periods(load_pack(pack).tables["periods"])]
    return ids[-count:]


CODE = WORK / "code"  # a copy of the code, so that edits made meanwhile change nothing measured


def snapshot() -> None:
    """Copy what runs (package, notebooks, templates, entry point) to ``CODE``: unit keys include the
    package's code, so an edit in the working tree during the benchmark would turn the no-change
    rerun into a full one."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in ("audit_pipeline", "notebooks"):
        shutil.copytree(ROOT / name, CODE / name, ignore=ignore)
    for name in ("pipeline.py", "requirements.txt"):
        shutil.copy2(ROOT / name, CODE / name)


def environment(cache: Path) -> dict:
    return {**os.environ, "AUDIT_PIPELINE_CACHE": str(cache), "PYTHONPATH": str(CODE)}


def ours(
    pack: Path, periods: list[str], out: Path, cache: Path, jobs: int, formats: str = "html,pdf"
) -> tuple[float, str]:
    env = environment(cache)
    command = [sys.executable, str(CODE / "pipeline.py"), "run", "--data", str(pack), "--out", str(out)]
    command += [arg for p in periods for arg in ("--period", p)] + ["--format", formats, "--jobs", str(jobs)]
    elapsed, result = sh(command, env)
    return elapsed, result.stderr


def naive(pack: Path, periods: list[str], folder: Path, cache: Path) -> float:
    env = environment(cache)
    notebooks = sorted((CODE / "notebooks").glob("[0-9]*.ipynb"))
    nbconvert = BIN / "jupyter-nbconvert"
    start = time.perf_counter()
    for period in periods:
        for notebook in notebooks:
            output = folder / period / notebook.name
            output.parent.mkdir(parents=True, exist_ok=True)
            sh(
                [
                    str(BIN / "papermill"),
                    str(notebook),
                    str(output),
                    "-p",
                    "data_dir",
                    str(pack),
                    "-p",
                    "period_id",
                    period,
                    "--no-progress-bar",
                ],
                env,
            )
            sh([str(nbconvert), "--to", "html", "--no-input", str(output)], env)
    return time.perf_counter() - start


def units_in(log: str, word: str) -> list[tuple[str, str]]:
    return re.findall(rf"\] (\S+): {word} (\S+\.ipynb)", log)


def change_one_return(pack: Path, change: tuple = CHANGE) -> str:
    period, body, cost_type, old, new = change
    path = pack / "costs.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    prefix = f"{period},{body},{cost_type},{old},actual,"
    matches = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    if len(matches) != 1:
        sys.exit(f"expected one costs.csv row starting {prefix!r}, found {len(matches)}")
    lines[matches[0]] = lines[matches[0]].replace(f",{old},actual,", f",{new},actual,", 1)
    path.write_text("".join(lines), encoding="utf-8")
    return f"costs.csv line {matches[0] + 1}: {body} {cost_type} in {period}: {old} -> {new} (GBP m)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=1, help="cold runs at --jobs 1 and 2, alternating; best taken")
    parser.add_argument("--skip-naive", action="store_true", help="and the HTML-only run, its like-for-like partner")
    parser.add_argument("--skip-jobs1", action="store_true", help="cold at --jobs 2 only (no speed-up figure)")
    parser.add_argument(
        "--naive-sample", type=int, default=None, help="time the naive way on this many periods and scale"
    )
    args = parser.parse_args()

    pack = WORK / "pack"
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(ROOT / "data" / "ngss", pack)
    snapshot()
    periods = latest_periods(pack, args.periods)
    print(
        f"{len(periods)} periods ({periods[0]} to {periods[-1]}), 6 notebooks each, {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}"
    )

    rows: list[tuple[str, float, str]] = []
    levels = (2,) if args.skip_jobs1 else (1, 2)
    times: dict[int, list[float]] = {jobs: [] for jobs in levels}
    for _ in range(args.repeat):  # alternate, so that background load hits both alike
        for jobs in levels:
            elapsed, _ = ours(pack, periods, fresh(WORK / f"out-{jobs}"), fresh(WORK / f"cache-{jobs}"), jobs)
            times[jobs].append(elapsed)
            print(f"  ... cold --jobs {jobs}: {elapsed:.1f}s", flush=True)
    cold = {jobs: min(t) for jobs, t in times.items()}
    for jobs in levels:
        all_times = ", ".join(f"{t:.1f}" for t in times[jobs])
        rows.append(
            (
                f"cold, HTML+PDF, --jobs {jobs}",
                cold[jobs],
                f"best of {args.repeat}: {all_times}" if args.repeat > 1 else "",
            )
        )

    naive_time = None
    if not args.skip_naive:
        html_only, _ = ours(pack, periods, fresh(WORK / "out-html"), fresh(WORK / "cache-html"), 2, "html")
        rows.append(("cold, HTML only, --jobs 2 (like for like with the naive way)", html_only, ""))
        print(f"  ... cold HTML only --jobs 2: {html_only:.1f}s", flush=True)
        sample = periods[-args.naive_sample :] if args.naive_sample else periods
        measured = naive(pack, sample, fresh(WORK / "naive"), fresh(WORK / "cache-naive"))
        naive_time = measured * len(periods) / len(sample)
        note = "" if len(sample) == len(periods) else f"({len(sample)} periods timed: {measured:.1f}s, scaled)"
        rows.append(("naive: papermill + nbconvert --to html --no-input, per notebook", naive_time, note))
        print(f"  ... naive: {naive_time:.1f}s {note}", flush=True)

    rerun, log = ours(pack, periods, WORK / "out-2", WORK / "cache-2", 2)
    rows.append(("no change, rerun (--jobs 2)", rerun, f"{len(units_in(log, 'executed'))} units executed"))

    what = change_one_return(pack)
    corrected, log = ours(pack, periods, WORK / "out-2", WORK / "cache-2", 2)
    ran, reused = units_in(log, "executed"), units_in(log, "reused")
    rows.append(
        ("one return corrected, rerun (--jobs 2)", corrected, f"{len(ran)} units executed, {len(reused)} reused")
    )
    what_latest = change_one_return(pack, LATEST)
    latest, latest_log = ours(pack, periods, WORK / "out-2", WORK / "cache-2", 2)
    rows.append(
        (
            f"one return corrected in the latest period ({LATEST[0]}), rerun",
            latest,
            f"{len(units_in(latest_log, 'executed'))} units executed; {what_latest}",
        )
    )

    print()
    print(f"{'run':<66}{'seconds':>9}  note")
    for name, seconds, note in rows:
        print(f"{name:<66}{seconds:>9.1f}  {note}")
    print()
    checks = []
    if 1 in cold:
        speedup = cold[1] / cold[2]
        checks.append((f"jobs 2 vs jobs 1: {speedup:.2f}x faster", speedup >= 1.8, "target >= 1.8x"))
    if naive_time:
        share = cold[2] / naive_time
        checks.append((f"jobs 2 (HTML+PDF) / naive (HTML): {share:.3f}", share <= 0.15, "target <= 0.15"))
        print(f"     (HTML only, like for like: jobs 2 / naive = {html_only / naive_time:.3f})")
    share = rerun / cold[2]
    checks.append((f"no-change rerun / cold jobs 2: {share:.3f}", share <= 0.03, "target <= 0.03"))
    share = corrected / cold[2]
    checks.append(
        (
            f"correction (latest period) / cold jobs 2: {latest / cold[2]:.3f}",
            latest / cold[2] <= 0.20,
            "target <= 0.20",
        )
    )
    print(f"     (the correction in {CHANGE[0]}, which two periods read: {share:.3f} of cold)")
    for text, ok, target in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text:<52} ({target})")
    print()
    print(f"Correction: {what}")
    by_period: dict[str, list[str]] = {}
    for period, notebook in ran:
        by_period.setdefault(period, []).append(notebook.removesuffix(".ipynb"))
    rendered = set(re.findall(r"\] (\S+): rendering", log))
    for period in periods:
        done = "report re-rendered" if period in rendered else "report left as published"
        print(f"  {period}: ran {', '.join(by_period.get(period, [])) or 'nothing'}; {done}")
    readers = ("01_summary.ipynb", "02_costs_savings.ipynb", "06_data_quality.ipynb")  # they declare reading costs
    expected = {(p, nb) for p in periods if p >= CHANGE[0] for nb in readers}
    only_affected = set(ran) == expected and rendered == {p for p in periods if p >= CHANGE[0]}
    print(
        f"{'ok  ' if only_affected else 'MISS'} only the affected units ran and only their periods were "
        f"re-rendered: the notebooks that read costs (01, 02, 06), in the periods whose rows up to them "
        f"changed ({CHANGE[0]} on)"
    )
    return 0 if all(ok for _, ok, _ in checks) and only_affected else 1


if __name__ == "__main__":
    sys.exit(main())
