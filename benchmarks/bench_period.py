#!/usr/bin/env python3
"""One period end to end: `pipeline.py run` against the naive way, side by side.

Ours: `pipeline.py run --period P --format html` into an empty output folder
and an empty pack cache (so validation, execution, metrics, manifest and HTML
rendering are all included). Naive: the `papermill` command line once per
section notebook, in sequence, with the same parameters (execution only, no
rendering). Prints both times and the ratio (target: at most 0.5).

    .venv/bin/python benchmarks/bench_period.py [--period 2013-14-Q4] [--repeat 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def ours(period: str, jobs: int | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUDIT_PIPELINE_CACHE": str(Path(tmp) / "cache")}
        command = [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "run",
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
