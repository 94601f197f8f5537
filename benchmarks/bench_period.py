#!/usr/bin/env python3
"""One period end to end: `pipeline.py run` against the naive way, side by side.

Ours: `pipeline.py run --period P --format html` into an empty output folder
and an empty pack cache (so validation, execution, metrics, manifest and HTML
rendering are all included). Naive: the `papermill` command line once per
section notebook, in sequence, with the same parameters (execution only, no
rendering). Prints both times and the ratio (target: at most 0.5).

    .venv/bin/python benchmarks/bench_period.py [--period 2013-14-Q4] [--repeat 3] [--jobs N]

With ``--against DIR`` (another copy of the code, e.g. ``git worktree add /tmp/before <commit>``)
it compares ours with that copy's cold run instead of the naive way: the two alternate, round by
round, each with its own ``PYTHONPATH``, empty caches and its own copy's ``data/ngss``; it prints
best and median of each, their ratios, and the load average at the start of each run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def ours(period: str, jobs: int | None, code: Path = ROOT) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(Path(tmp) / "cache"), "PYTHONPATH": str(code)}
        command = [
            sys.executable,
            str(code / "pipeline.py"),
            "run",
            "--data",
            str(code / "data" / "ngss"),
            "--period",
            period,
            "--out",
            str(Path(tmp) / "out"),
            "--format",
            "html",
        ]
        if jobs:
            command += ["--jobs", str(jobs)]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        return time.perf_counter() - start


def naive(period: str) -> float:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(Path(tmp) / "cache")}
        start = time.perf_counter()
        for notebook in notebooks:
            subprocess.run(
                [
                    str(BIN / "papermill"),
                    str(notebook),
                    str(Path(tmp) / notebook.name),
                    "-p",
                    "data_dir",
                    str(ROOT / "data" / "ngss"),
                    "-p",
                    "period_id",
                    period,
                    "--no-progress-bar",
                ],
                check=True,
                capture_output=True,
                env=env,
            )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2013-14-Q4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--jobs", type=int, default=None, help="passed to pipeline.py run (default: its own, the number of cores)"
    )
    parser.add_argument("--against", type=Path, default=None, help="another copy of the code to compare with")
    args = parser.parse_args()
    if args.against is not None:
        compare(args.period, args.jobs, args.repeat, args.against.resolve())
        return
    if not shutil.which(str(BIN / "papermill")):
        sys.exit("papermill command not found next to this Python")
    rows = []
    for _ in range(args.repeat):  # alternate, so background load hits both alike
        rows.append((ours(args.period, args.jobs), naive(args.period)))
    best_ours, best_naive = min(r[0] for r in rows), min(r[1] for r in rows)
    print(f"one period ({args.period}), best of {args.repeat}, {os.cpu_count()} cores")
    print(f"{'run':<48}{'seconds':>10}")
    print(f"{'pipeline.py run --format html (cold caches)':<48}{best_ours:>10.2f}")
    print(f"{'papermill CLI x 6 notebooks, in sequence':<48}{best_naive:>10.2f}")
    print(f"{'ratio ours / naive (target <= 0.5)':<48}{best_ours / best_naive:>10.2f}")
    print("all runs (ours, naive): " + ", ".join(f"({a:.2f}, {b:.2f})" for a, b in rows))


def compare(period: str, jobs: int | None, repeat: int, other: Path) -> None:
    """This copy against ``other``, alternating (which goes first alternates too)."""
    times: dict[Path, list[tuple[float, float]]] = {ROOT: [], other: []}
    for round_ in range(repeat):
        for code in (ROOT, other) if round_ % 2 == 0 else (other, ROOT):
            load = os.getloadavg()[0]
            seconds = ours(period, jobs, code)
            times[code].append((seconds, load))
            print(f"round {round_ + 1}: {code}: {seconds:.2f} s (load {load:.2f})", flush=True)
    best = {code: min(t for t, _ in runs) for code, runs in times.items()}
    median = {code: statistics.median(t for t, _ in runs) for code, runs in times.items()}
    print(f"one period ({period}), cold, HTML, {repeat} alternating rounds, {os.cpu_count()} cores")
    for code, name in ((other, "against"), (ROOT, "this copy")):
        loads = [load for _, load in times[code]]
        print(
            f"{name:<10} {str(code):<40} best {best[code]:7.2f} s  median {median[code]:7.2f} s  "
            f"load {min(loads):.2f}-{max(loads):.2f}"
        )
    print(f"this copy / against: best {best[ROOT] / best[other]:.3f}, median {median[ROOT] / median[other]:.3f}")


if __name__ == "__main__":
    main()
