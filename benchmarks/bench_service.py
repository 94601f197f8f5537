#!/usr/bin/env python3
"""Service figures from 10 million transactions: `service_figures` against a bare DuckDB query.

It generates (once, vectorised with numpy; fixed seed) a transactions table in the data
contract's typed form (`transaction_id`, `centre_id`, `body_id`, `service` as strings;
`received_date`, `completed_date` as dates, about 5% of them empty; `sla_days` as integers),
two centres and twenty bodies over 2013-2016, and keeps it as Parquet under
`benchmarks/_work/service/`. Then, each in a fresh process (so `ru_maxrss` is that case's own
peak memory), alternating `--repeat` times:

- ours: `audit_pipeline.measures.service.service_figures(table, period)`;
- bare: one DuckDB query over the same Arrow table computing the same four figures per centre
  (volume, share within SLA, median days to complete, open at the period's end), fetched as rows.

Only the call is timed (reading the Parquet file and imports are not); both results are
checked equal. Targets (exit status 1 when one is missed): ours at most 1.5x the bare query
(best times), and a peak under 2 GiB.

    .venv/bin/python benchmarks/bench_service.py [--rows 10000000] [--repeat 5] [--period 2014-15-Q3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work" / "service"
SEED = 20140331
PERIODS = {  # quarter -> (start, end)
    "2013-14-Q4": ("2014-01-01", "2014-03-31"),
    "2014-15-Q3": ("2014-10-01", "2014-12-31"),
    "2015-16-Q4": ("2016-01-01", "2016-03-31"),
}

BARE_SQL = """
SELECT centre_id,
       count(*) FILTER (WHERE received_date BETWEEN $start AND $end) AS volume,
       count(*) FILTER (WHERE received_date BETWEEN $start AND $end
                          AND completed_date - received_date <= sla_days) AS within_sla,
       median(completed_date - received_date)
             FILTER (WHERE received_date BETWEEN $start AND $end AND completed_date IS NOT NULL) AS median_days,
       count(*) FILTER (WHERE received_date <= $end AND (completed_date IS NULL OR completed_date > $end)) AS open_at_end
FROM tx
GROUP BY centre_id
ORDER BY centre_id
"""


def generate(rows: int, path: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    first, last = np.datetime64("2013-04-01"), np.datetime64("2016-03-31")
    span = int((last - first).astype(int))
    received = first + np.sort(rng.integers(0, span + 1, rows)).astype("timedelta64[D]")
    days = rng.gamma(2.0, 3.0, rows).astype(np.int64)
    completed = received + days.astype("timedelta64[D]")
    open_ = (rng.random(rows) < 0.05) | (completed > last)
    ids = pc.binary_join_element_wise(
        "T", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, rows + 1)), pa.string()), 8, "0"), ""
    )
    bodies = np.array([f"body-{i:02d}" for i in range(20)])
    body = rng.integers(0, 20, rows)
    table = pa.table(
        {
            "transaction_id": ids,
            "centre_id": pa.array(np.where(body % 2 == 0, "ssc-east", "ssc-west")),
            "body_id": pa.array(bodies[body]),
            "service": pa.array(np.array(["finance", "hr", "procurement"])[rng.integers(0, 3, rows)]),
            "received_date": pa.array(received, pa.date32()),
            "completed_date": pa.array(completed, pa.date32(), mask=open_),
            "sla_days": pa.array(rng.choice([5, 10, 20], rows), pa.int64()),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path.with_suffix(".tmp"), compression="zstd")
    path.with_suffix(".tmp").replace(path)


def child(case: str, path: Path, period_id: str) -> None:
    """One measurement, in this process: print seconds, peak memory and the figures as JSON."""
    import duckdb
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT))
    from audit_pipeline.measures.periods import Period
    from audit_pipeline.measures.service import service_figures

    table = pq.read_table(path)
    start, end = (dt.date.fromisoformat(d) for d in PERIODS[period_id])
    import pandas as pd

    period = Period(period_id, period_id, pd.Timestamp(start), pd.Timestamp(end))
    began = time.perf_counter()
    if case == "ours":
        figures = service_figures(table, period)
    else:
        con = duckdb.connect()
        con.register("tx", table)
        rows = con.execute(BARE_SQL, {"start": start, "end": end}).fetchall()
        con.close()
        figures = {
            c: {
                "volume": v,
                "within_sla_share": round(w / v, 4) if v else None,
                "median_days_to_complete": float(m) if m is not None else None,
                "open_at_end": o,
            }
            for c, v, w, m, o in rows
        }
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "figures": figures}))


def measure(case: str, path: Path, period_id: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", case, "--file", str(path), "--period", period_id],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{case} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--period", default="2014-15-Q3", choices=sorted(PERIODS))
    parser.add_argument("--child", choices=["ours", "bare"])
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file, args.period)
        return 0

    path = WORK / f"transactions-{args.rows}.parquet"
    if not path.exists():
        began = time.perf_counter()
        generate(args.rows, path)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - began:.1f}s: {path.relative_to(ROOT)}")
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    for _ in range(args.repeat):  # alternate, so that background load hits both alike
        for case in runs:
            runs[case].append(measure(case, path, args.period))
    if runs["ours"][0]["figures"] != runs["bare"][0]["figures"]:
        print("MISMATCH between ours and the bare query:")
        print(json.dumps(runs["ours"][0]["figures"], indent=1), json.dumps(runs["bare"][0]["figures"], indent=1))
        return 1
    best = {case: min(r["seconds"] for r in rs) for case, rs in runs.items()}
    median = {case: statistics.median(r["seconds"] for r in rs) for case, rs in runs.items()}
    peak = {case: max(r["peak"] for r in rs) for case, rs in runs.items()}
    print(f"{args.rows:,} transactions, period {args.period}, best of {args.repeat}, {os.cpu_count()} cores")
    print(f"{'case':<40}{'best s':>9}{'median s':>10}{'peak MiB':>10}")
    names = {"ours": "service_figures (ours)", "bare": "bare DuckDB query"}
    for case in runs:
        print(f"{names[case]:<40}{best[case]:>9.3f}{median[case]:>10.3f}{peak[case] / 2**20:>10.0f}")
    ratio = best["ours"] / best["bare"]
    ok_time, ok_memory = ratio <= 1.5, peak["ours"] < 2 * 2**30
    print(f"{'ok  ' if ok_time else 'MISS'} ours / bare: {ratio:.2f} (target <= 1.5)")
    print(f"{'ok  ' if ok_memory else 'MISS'} peak of ours: {peak['ours'] / 2**30:.2f} GiB (target < 2 GiB)")
    print("figures:", json.dumps(runs["ours"][0]["figures"]))
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
