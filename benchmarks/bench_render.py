#!/usr/bin/env python3
"""Rendering one period: `audit_pipeline.report.render` (HTML, then PDF) against `jupyter nbconvert --to html --no-input`.

Both work on the same executed notebooks: a period folder's ``notebooks/`` from
``pipeline.py run`` (``--period-dir``), or one made here once, under
``benchmarks/_work/render/`` (git-ignored), and reused.

Measured, alternating, ``--repeat`` times each, best and median wall time:

- baseline: ``jupyter nbconvert --to html --no-input`` on the six notebooks, one
  command (a fresh process: its start-up and imports are part of what it costs);
- ours, in the pipeline: ``render.render_html`` and then ``render.pdf_bytes`` in a
  warm process (the pack already loaded), which is what ``pipeline.py run`` spends
  per period;
- ours, cold: a fresh Python process that imports the package, loads the pack
  (from its cache), renders the HTML, and the PDF, like the command above.

Targets (exit status 1 when one is missed), on the rendering the pipeline does per
period: the HTML takes no longer than the baseline (ratio <= 1), and the PDF at most
2 s more than the baseline. The fresh-process figures are printed for reference.

    .venv/bin/python benchmarks/bench_render.py [--period-dir reports/ngss/2013-14-Q4] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work" / "render"
PERIOD = "2013-14-Q4"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

COLD = """
import sys, time
from pathlib import Path
start = time.perf_counter()
sys.path.insert(0, {root!r})
from audit_pipeline.report import render
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.measures import periods as P
folder, out, pdf = Path({folder!r}), Path({out!r}), {pdf!r}
pack = load_pack_cached({data!r})
period = P.period_of(pack.tables["periods"], {period!r})
html = render.render_html(pack, period, sorted((folder / "notebooks").glob("*.ipynb")))
(out / "report.html").write_text(html, encoding="utf-8")
if pdf:
    render.render_pdf(html, out / "report.pdf", out)
"""


def period_folder(given: Path | None) -> Path:
    """The period folder whose executed notebooks are rendered (made once when not given)."""
    if given:
        return given
    folder = WORK / "ngss" / PERIOD
    if not (folder / "notebooks").is_dir():
        print(f"executing the notebooks once into {WORK} ...", file=sys.stderr, flush=True)
        command = [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "run",
            "--period",
            PERIOD,
            "--out",
            str(WORK),
            "--format",
            "html",
        ]
        subprocess.run(command, check=True, capture_output=True)
    return folder


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def baseline(notebooks: list[Path]) -> float:
    jupyter = BIN / "jupyter"
    nbconvert = [str(jupyter), "nbconvert"] if jupyter.exists() else [str(BIN / "jupyter-nbconvert")]
    with tempfile.TemporaryDirectory() as out:
        return timed([*nbconvert, "--to", "html", "--no-input", "--output-dir", out, *map(str, notebooks)])


def cold(folder: Path, data: str, period: str, pdf: bool) -> float:
    with tempfile.TemporaryDirectory() as out:
        script = COLD.format(root=str(ROOT), folder=str(folder), out=out, pdf=pdf, data=data, period=period)
        return timed([sys.executable, "-c", script])


def warm(pack, period, notebooks: list[Path]) -> tuple[float, float]:
    from audit_pipeline.report import render

    start = time.perf_counter()
    html = render.render_html(pack, period, notebooks)
    middle = time.perf_counter()
    render.pdf_bytes(html)
    return middle - start, time.perf_counter() - middle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--period-dir", type=Path, help="a published period folder (default: one made under benchmarks/_work)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import json

    from audit_pipeline.measures import periods as P
    from audit_pipeline.pack.cache import load_pack_cached

    folder = period_folder(args.period_dir).resolve()
    parameters = json.loads((folder / "manifest.json").read_text())["parameters"]
    notebooks = sorted((folder / "notebooks").glob("*.ipynb"))
    pack = load_pack_cached(parameters["data_dir"])
    period = P.period_of(pack.tables["periods"], parameters["period_id"])
    warm(pack, period, notebooks)  # imports and caches, once, before anything is timed

    times: dict[str, list[float]] = {k: [] for k in ("baseline", "html", "pdf", "cold_html", "cold_pdf")}
    for _ in range(args.repeat):  # alternate, so background load hits every case alike
        times["baseline"].append(baseline(notebooks))
        html, pdf = warm(pack, period, notebooks)
        times["html"].append(html)
        times["pdf"].append(pdf)
        times["cold_html"].append(cold(folder, parameters["data_dir"], period.period_id, pdf=False))
        times["cold_pdf"].append(cold(folder, parameters["data_dir"], period.period_id, pdf=True))

    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    rows = [
        ("jupyter nbconvert --to html --no-input (6 notebooks)", "baseline"),
        ("render_html, in the pipeline's process", "html"),
        ("pdf_bytes from that HTML, in the pipeline's process", "pdf"),
        ("fresh process: import, load pack, render_html", "cold_html"),
        ("fresh process: import, load pack, HTML and PDF", "cold_pdf"),
    ]
    print(
        f"rendering {parameters['period_id']} ({len(notebooks)} notebooks), best of {args.repeat}, {os.cpu_count()} cores"
    )
    print(f"{'':<56}{'best s':>8}{'median s':>10}{'/ baseline':>12}")
    for label, key in rows:
        print(f"{label:<56}{best[key]:>8.2f}{median[key]:>10.2f}{best[key] / best['baseline']:>12.2f}")
    targets = [
        ("HTML no slower than the baseline", best["html"] <= best["baseline"]),
        ("PDF within 2 s of the baseline", best["pdf"] <= best["baseline"] + 2.0),
    ]
    reference = [
        ("fresh process: HTML no slower than the baseline", best["cold_html"] <= best["baseline"]),
        ("fresh process: HTML and PDF within 2 s of the baseline", best["cold_pdf"] <= best["baseline"] + 2.0),
    ]
    print("targets (rendering as the pipeline does it, per period):")
    for label, ok in targets:
        print(f"  {'met' if ok else 'MISSED':>6}  {label}")
    print("for reference (start-up, imports and pack loading included, as for the command):")
    for label, ok in reference:
        print(f"  {'met' if ok else 'missed':>6}  {label}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
