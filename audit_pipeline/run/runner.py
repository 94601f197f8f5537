"""`pipeline.py run`: validate, plan, execute what is stale, render, publish each period atomically.

Work is split into units (one section notebook of one period) keyed on their
inputs, found while they run (``keys.py``). Planning (``plan.py``) compares
each period with what is published; building (``build.py``) reuses units whose
recorded reads are unchanged and runs the rest; afterwards the caches are
pruned (``prune.py``). ``list`` is ``status`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from audit_pipeline.errors import UsageError
from audit_pipeline.measures import periods as P
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.run import forkserver, keys, prune, publish
from audit_pipeline.run.build import build
from audit_pipeline.run.lock import run_lock
from audit_pipeline.run.notebooks import section_notebooks
from audit_pipeline.run.plan import (
    DEFAULT_FORMATS,
    PeriodPlan,
    check_formats,
    choose_periods,
    plan,
    status,
    summarise_reasons,
)
from audit_pipeline.run.progress import Progress
from audit_pipeline.run.unitcache import UNIT_CACHE
from audit_pipeline.settings import DEFAULT_TIMEOUT, NOTEBOOK_DIR

__all__ = ["DEFAULT_FORMATS", "UNIT_CACHE", "PeriodPlan", "RunOptions", "choose_periods", "plan", "run", "status"]


@dataclass
class RunOptions:
    data_dir: Path
    out_dir: Path
    period_ids: list[str] = field(default_factory=list)
    all_periods: bool = False
    formats: tuple[str, ...] = DEFAULT_FORMATS
    jobs: int = 2
    force: bool = False
    timeout: int = DEFAULT_TIMEOUT
    notebook_dir: Path = NOTEBOOK_DIR
    executor: str = "local"
    scheduler: str | None = None
    client: object = None  # a dask Client to use instead of --scheduler (tests, notebooks)
    progress_stream: object = None  # where progress goes (default: standard error)
    requested: list[Path] = field(default_factory=list)  # set by run(): the chosen periods' folders


def run(options: RunOptions) -> list[Path]:
    """Run the chosen periods; return the period folders published (fresh ones are left as they are).

    ``options.requested`` is set to every chosen period's folder, published now or already fresh."""
    formats = check_formats(options.formats)
    if options.executor not in ("local", "dask"):
        raise UsageError(f"--executor takes local or dask, not {options.executor!r}")
    if options.executor == "dask" and not options.scheduler and options.client is None:
        raise UsageError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    notebooks = section_notebooks(options.notebook_dir)
    if not notebooks:
        raise UsageError(f"no section notebooks (named like 01_name.ipynb) in {options.notebook_dir}")
    forkserver.start_fork_server()  # it imports what kernels need while we plan (stopped if not needed)
    pack = load_pack_cached(options.data_dir)  # DataPackError when invalid: nothing executed
    periods = choose_periods(pack, options.period_ids, options.all_periods)
    programme_dir = options.out_dir.resolve() / pack.programme["programme_id"]
    options.requested = [programme_dir / p.period_id for p in periods]
    stream = options.progress_stream
    with run_lock(programme_dir, stream=stream):
        publish.sweep(programme_dir)
        forkserver.sweep_temporary()
        slices = keys.SliceCache(pack)
        plans = plan(pack, periods, notebooks, formats, programme_dir, slices)
        todo = [p for p in plans if options.force or not p.fresh]
        progress = Progress(periods=[p.period.period_id for p in todo], units=len(notebooks), stream=stream)
        try:
            for fresh in (p for p in plans if p not in todo):
                progress.note(f"{fresh.period.period_id}: up to date")
            for stale in todo:
                why = "forced (--force)" if stale.fresh else summarise_reasons(stale.reasons, len(notebooks))
                progress.note(f"{stale.period.period_id}: to build: {why}")
            if not todo:
                forkserver.stop_fork_server(wait=False)
            published = build(pack, todo, programme_dir, options, progress, slices) if todo else []
            if published or not (programme_dir / "index.html").exists():
                from audit_pipeline.run.index import write_index

                write_index(
                    programme_dir, [p.period_id for p in P.all_periods(pack.tables["periods"])], pack.programme["name"]
                )
        finally:
            progress.done()
        prune.after_run(programme_dir, stream)
    return published
