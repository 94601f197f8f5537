#!/usr/bin/env python3
"""One period's section functions in-process (no kernels): what the notebooks compute, timed.

Calls every ``S.<function>(ctx)`` of the section notebooks, in order, each notebook with its own
fresh ``load_context`` (the pack from the warm cache), as the kernels do, and reports the best
CPU time (``time.process_time``: less disturbed by a busy machine than wall time) of ``--repeat``
rounds. With ``--profile`` it prints the functions that took longest (cProfile, cumulative).
Run it with ``PYTHONPATH`` set to another copy of the code to compare versions of it:

    .venv/bin/python benchmarks/bench_sections.py [--period 2015-16-Q4] [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import time
from pathlib import Path


def calls(notebooks: Path) -> list[tuple[str, str, str]]:
    """(module, function, extra argument) of each section call of the notebooks, in order."""
    found = []
    for path in sorted(notebooks.glob("[0-9]*.py")):
        source = path.read_text(encoding="utf-8")
        module = re.search(r"sections import (\w+) as S", source).group(1)
        found += [(module, m.group(1), "") for m in re.finditer(r"^S\.(\w+)\(ctx\)$", source, re.M)]
        found += [
            (module, m.group(1), m.group(2))
            for m in re.finditer(r'^(commentary|conclusion)\(ctx(?:, "([^"]*)")?\)$', source, re.M)
        ]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2015-16-Q4")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import audit_pipeline
    from audit_pipeline.report import sections
    from audit_pipeline.report.context import load_context

    root = Path(audit_pipeline.__file__).resolve().parent.parent
    todo = calls(root / "notebooks")
    try:
        from audit_pipeline.report import commentary as C
    except ImportError:  # a version of the code without commentary
        C = None

    def run_once() -> float:
        contexts = {module: load_context(None, args.period) for module, _, _ in todo}
        start = time.process_time()
        for module, name, extra in todo:
            if name in ("commentary", "conclusion"):
                if C is not None:
                    getattr(C, name)(contexts[module], *([extra] if extra else []))
            else:
                getattr(getattr(sections, module), name)(contexts[module])
        return time.process_time() - start

    run_once()  # imports, matplotlib's font cache, the pack cache
    times = [run_once() for _ in range(args.repeat)]
    print(f"{root}: {len(todo)} calls, period {args.period}, load {os.getloadavg()[0]:.1f}")
    print(f"cpu best {min(times):.3f} s, median {statistics.median(times):.3f} s over {args.repeat}")
    if args.profile:
        contexts = {module: load_context(None, args.period) for module, _, _ in todo}
        profile = cProfile.Profile()
        profile.enable()
        for module, name, _ in todo:
            if name not in ("commentary", "conclusion"):
                getattr(getattr(sections, module), name)(contexts[module])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(
            os.environ.get("BENCH_PROFILE_FILTER", "audit_pipeline"), 30
        )


if __name__ == "__main__":
    main()
