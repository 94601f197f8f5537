"""Time ``validate_pack`` on a pack with millions of transactions against a bare pyarrow read.

Usage::

    .venv/bin/python benchmarks/bench_validate.py [--rows 5000000] [--repeat 5]

The script writes two data packs into ``benchmarks/_work/`` (git-ignored), one
with ``transactions.csv`` and one with ``transactions.parquet``; both hold the
same small valid tables and the same generated transactions (fixed seed), and
are reused while the row count matches. Each measured run happens in a fresh
Python process, so that its peak memory (``ru_maxrss``) is its own; the cases
alternate, and each is repeated ``--repeat`` times. Imports are not timed.

Targets: ``validate_pack`` takes at most 3 times as long as the bare read of the
same transactions file, and its process peaks under 4 GiB. The exit status is 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work"
MAX_RATIO = 3.0
MAX_PEAK_GIB = 4.0
SEED = 20140131

CENTRES = ("ISSC1", "ISSC2")
BODIES = tuple(f"B{n:02d}" for n in range(1, 21))
SERVICES = ("finance", "hr", "procurement", "Finance", "HR")  # some in another case, as supplied

SMALL_TABLES = {
    "programme.yaml": """\
programme_id: ngss
name: Next Generation Shared Services
sponsor: Cabinet Office
strategy_published: 2012-12-01
""",
    "periods.csv": "period_id,label,start_date,end_date\n"
    + "".join(
        f"FY{y}-{(y + 1) % 100:02d},{y}-{(y + 1) % 100:02d},{y}-04-01,{y + 1}-03-31\n" for y in range(2012, 2017)
    ),
    "estimates.csv": """\
estimate_id,measure,scope,low_gbp_m,high_gbp_m,horizon,as_at,source
E1,annual_savings,whole strategy,128,400,,2012-12-01,Strategy
E2,implementation_cost,two centres,82,82,,2014-03-31,NAO 2016
E3,cumulative_savings,whole strategy,"1,000",£1500,2023-24,15/06/2015,Cabinet Office
""",
    "centres.csv": """\
centre_id,name,provider,services,go_live_date
ISSC1,Independent Shared Service Centre 1,Arvato,finance;hr;procurement,2013-11-01
ISSC2,Independent Shared Service Centre 2,Steria,finance;hr,2014-04-01
""",
    "bodies.csv": "body_id,name,centre_id,planned_onboard_date,actual_onboard_date,som_status,variations,customers\n"
    + "".join(
        f"{b},Body {b},{CENTRES[i % 2]},2014-0{1 + i % 9}-01,2014-0{1 + i % 9}-15,"
        f"{'adopted' if i % 3 else 'adopted_with_variations'},{0 if i % 3 else 2},{1000 + 250 * i}\n"
        for i, b in enumerate(BODIES)
    ),
    "costs.csv": "period_id,body_id,cost_type,amount_gbp_m,status,source\n"
    + "".join(
        f"FY2014-15,{b},departmental_implementation,{1.5 + i / 10:.1f},actual,returns\n" for i, b in enumerate(BODIES)
    )
    + "FY2015-16,B01,central_programme,,not_collated,\n",
    "savings.csv": "period_id,body_id,attribution,amount_gbp_m,status,evidence_level,source\n"
    + "".join(
        f"FY2014-15,{b},shared_services,{0.5 + i / 10:.1f},actual,partial,returns\n" for i, b in enumerate(BODIES)
    )
    + "FY2014-15,B02,reduced_activity,-0.3,actual,sufficient,\n",
    "recommendations.csv": """\
rec_id,source_report,source_date,text,owner,response,target_date
R1,PAC 2012,2012-06-01,Set out a clear strategy,Cabinet Office,accepted,2013-03-31
R2,NAO 2014,2014-03-01,Report savings on a consistent basis,Cabinet Office,partially_accepted,2015-03-31
""",
    "recommendation_status.csv": """\
rec_id,period_id,status,reported_status,current_target_date,revision_reason,evidence,assessed_on
R1,FY2013-14,implemented,implemented,,,Strategy published,2014-04-10
R2,FY2014-15,In progress,implemented,2016-03-31,Delayed by onboarding,,2015-04-10
""",
}


def generate_transactions(rows: int):
    """A typed Arrow table of ``rows`` transactions, vectorised and deterministic."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(SEED)
    numbers = pa.array(np.arange(1, rows + 1, dtype=np.int64)).cast(pa.string())
    ids = pc.binary_join_element_wise("T", pc.utf8_lpad(numbers, 8, "0"), "")
    body_index = rng.integers(0, len(BODIES), rows)
    start = (dt.date(2013, 1, 1) - dt.date(1970, 1, 1)).days
    end = (dt.date(2016, 12, 31) - dt.date(1970, 1, 1)).days
    received = rng.integers(start, end + 1, rows, dtype=np.int32)
    completed = received + rng.integers(0, 60, rows, dtype=np.int32)
    open_items = rng.random(rows) < 0.05
    return pa.table(
        {
            "transaction_id": ids,
            "centre_id": pa.array(np.array(CENTRES)[body_index % 2]),
            "body_id": pa.array(np.array(BODIES)[body_index]),
            "service": pa.array(np.array(SERVICES)[rng.integers(0, len(SERVICES), rows)]),
            "received_date": pa.array(received, pa.date32()),
            "completed_date": pa.array(completed, pa.date32(), mask=open_items),
            "sla_days": pa.array(rng.choice(np.array([3, 5, 10, 20], dtype=np.int64), rows)),
        }
    )


def write_plain_csv(table, path: Path) -> None:
    """Write ``table`` unquoted, header included, as MI systems export it (no cell holds a comma)."""
    import pyarrow.csv as pacsv

    with path.open("wb") as handle:
        handle.write((",".join(table.column_names) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, handle, options)


def write_packs(rows: int) -> dict[str, Path]:
    """Write the CSV and Parquet packs (transactions reused while ``rows`` is unchanged); return {format: folder}."""
    import pyarrow.parquet as pq

    packs = {"csv": WORK / "pack_csv", "parquet": WORK / "pack_parquet"}
    for folder in packs.values():
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in SMALL_TABLES.items():
            (folder / name).write_text(text, encoding="utf-8")
    stamp = WORK / "rows.txt"
    written = [packs["csv"] / "transactions.csv", packs["parquet"] / "transactions.parquet"]
    if stamp.exists() and stamp.read_text() == str(rows) and all(p.exists() for p in written):
        return packs
    print(f"Generating {rows:,} transactions in {WORK} ...", flush=True)
    started = time.perf_counter()
    table = generate_transactions(rows)
    write_plain_csv(table, written[0])
    pq.write_table(table, written[1])
    stamp.write_text(str(rows))
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return packs


def run_case(case: str, path: Path) -> dict:
    """Run one measured call in this process; return its time, peak memory and a summary."""
    if case == "validate":
        from audit_pipeline.pack.load import validate_pack

        started = time.perf_counter()
        pack, findings = validate_pack(path)
        seconds = time.perf_counter() - started
        errors = [str(f) for f in findings if f.severity == "error"]
        rows = pack.transactions.num_rows if pack is not None and pack.transactions is not None else None
        summary = {"rows": rows, "errors": errors[:5], "error_count": len(errors)}
    else:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        read = pacsv.read_csv if case == "read_csv" else pq.read_table
        started = time.perf_counter()
        table = read(path)
        seconds = time.perf_counter() - started
        summary = {"rows": table.num_rows}
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "peak_mib": peak_kib / 1024, **summary}


def measure(case: str, path: Path) -> dict:
    """Run ``case`` in a fresh Python process and return what it reports."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", case, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{case} on {path} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_cache(path: Path) -> None:
    """Read a file once so that every measured run finds it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def benchmark(fmt: str, pack: Path, repeat: int) -> dict:
    """Alternate the bare read and ``validate_pack``; collect every run of each."""
    data_file = pack / f"transactions.{fmt}"
    read_case = "read_csv" if fmt == "csv" else "read_parquet"
    warm_cache(data_file)
    runs: dict[str, list[dict]] = {read_case: [], "validate": []}
    for index in range(repeat):
        order = [read_case, "validate"] if index % 2 == 0 else ["validate", read_case]
        for case in order:
            target = data_file if case == read_case else pack
            runs[case].append(measure(case, target))
            print(f"  {fmt:7} run {index + 1}/{repeat} {case:12} {runs[case][-1]['seconds']:7.2f} s", flush=True)
    expected_rows = runs[read_case][0]["rows"]
    for run in runs["validate"]:
        if run["error_count"] or run["rows"] != expected_rows:
            raise SystemExit(f"validate_pack did not accept all {expected_rows:,} rows of the {fmt} pack: {run}")
    return {"format": fmt, "size_mib": data_file.stat().st_size / 2**20, "read_case": read_case, "runs": runs}


def report(results: list[dict], rows: int, repeat: int) -> bool:
    """Print the table of figures; return whether every target holds."""
    print(f"\n{rows:,} transactions; best and median of {repeat} fresh processes per call (imports not timed)\n")
    header = f"{'file':<30} {'call':<26} {'best s':>7} {'median s':>9} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    verdicts = []
    for result in results:
        name = f"transactions.{result['format']} ({result['size_mib']:.0f} MiB)"
        best = {}
        for case, label in ((result["read_case"], _read_label(result["format"])), ("validate", "validate_pack")):
            runs = result["runs"][case]
            best[case] = min(r["seconds"] for r in runs)
            peak = max(r["peak_mib"] for r in runs)
            median = statistics.median(r["seconds"] for r in runs)
            print(f"{name:<30} {label:<26} {best[case]:7.2f} {median:9.2f} {peak:9.0f}")
            name = ""
        ratio = best["validate"] / best[result["read_case"]]
        peak_gib = max(r["peak_mib"] for r in result["runs"]["validate"]) / 1024
        verdicts.append((result["format"], ratio, peak_gib))
        print(f"{'':<30} {'ratio validate / read':<26} {ratio:7.2f}\n")
    ok = True
    for fmt, ratio, peak_gib in verdicts:
        ratio_ok, peak_ok = ratio <= MAX_RATIO, peak_gib < MAX_PEAK_GIB
        ok = ok and ratio_ok and peak_ok
        print(
            f"{fmt:<8} ratio {ratio:5.2f} (target <= {MAX_RATIO:g}): {'PASS' if ratio_ok else 'FAIL'};  "
            f"validate peak {peak_gib:5.2f} GiB (target < {MAX_PEAK_GIB:g}): {'PASS' if peak_ok else 'FAIL'}"
        )
    return ok


def _read_label(fmt: str) -> str:
    return "pyarrow.csv.read_csv" if fmt == "csv" else "pyarrow.parquet.read_table"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="transactions to generate (default 5,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each call per format (default 5)")
    parser.add_argument("--format", choices=["csv", "parquet", "both"], default="both", help="which files to time")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(run_case(args.child[0], Path(args.child[1]))))
        return 0
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    packs = write_packs(args.rows)
    formats = ["csv", "parquet"] if args.format == "both" else [args.format]
    results = [benchmark(fmt, packs[fmt], args.repeat) for fmt in formats]
    return 0 if report(results, args.rows, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
