"""`pipeline.py run`: validate, execute each period's notebooks, render, publish atomically.

Work is a set of units (one section notebook of one period); up to ``jobs``
run at once, each in its own kernel and scratch folder. A period is rendered
and published as soon as all its notebooks are done.
"""

from __future__ import annotations

import concurrent.futures as cf
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import execute, publish
from .context import load_pack_cached
from .datapack import Pack
from .errors import NotebookExecutionError, UsageError
from .measures import periods as P
from .measures.summary import key_figures
from .progress import Progress
from .provenance import provenance


@dataclass
class RunOptions:
    data_dir: Path
    out_dir: Path
    period_ids: list[str] = field(default_factory=list)
    all_periods: bool = False
    formats: tuple[str, ...] = ("html", "pdf")
    jobs: int = 2
    force: bool = False
    timeout: int = execute.DEFAULT_TIMEOUT
    notebook_dir: Path = execute.NOTEBOOK_DIR


def choose_periods(pack: Pack, options: RunOptions) -> list[P.Period]:
    """The periods to run, in reporting order; an unknown id is a ``UsageError`` listing the valid ones."""
    periods = pack.tables["periods"]
    if options.all_periods:
        return P.all_periods(periods)
    if not options.period_ids:
        return [P.period_of(periods, None)]
    chosen = {P.period_of(periods, pid).period_id for pid in options.period_ids}
    return [p for p in P.all_periods(periods) if p.period_id in chosen]


def run(options: RunOptions) -> list[Path]:
    """Run every chosen period; return the published period folders."""
    formats = tuple(options.formats)
    unknown = set(formats) - {"html", "pdf"}
    if unknown or not formats:
        raise UsageError(f"--format takes html, pdf or html,pdf; got {','.join(formats) or 'nothing'}")
    pack = load_pack_cached(options.data_dir)  # DataPackError when invalid: nothing executed
    periods = choose_periods(pack, options)
    notebooks = execute.section_notebooks(options.notebook_dir)
    if not notebooks:
        raise UsageError(f"no section notebooks (named like 01_name.ipynb) in {options.notebook_dir}")
    for notebook in notebooks:
        execute.check_parameters(notebook, {"data_dir": str(pack.directory), "period_id": periods[0].period_id})
    programme_dir = options.out_dir.resolve() / pack.programme["programme_id"]
    progress = Progress(total=len(periods) * len(notebooks))
    published = []
    with publish.run_lock(programme_dir):
        publish.sweep(programme_dir)
        staging = {p.period_id: publish.staging_dir(programme_dir / p.period_id) for p in periods}
        try:
            for period, folder in _execute_all(pack, periods, notebooks, staging, programme_dir, options, progress):
                _finish_period(pack, period, notebooks, folder, formats)
                publish.publish(folder, programme_dir / period.period_id)
                published.append(programme_dir / period.period_id)
                progress.published(period.period_id)
            from .index import write_index

            write_index(programme_dir, [p.period_id for p in P.all_periods(pack.tables["periods"])])
        finally:
            for folder in staging.values():
                shutil.rmtree(folder, ignore_errors=True)
    progress.done()
    return published


def _execute_all(pack, periods, notebooks, staging, programme_dir, options, progress):
    """Execute every (period, notebook) unit; yield each period once all its notebooks succeeded."""
    remaining = {p.period_id: len(notebooks) for p in periods}
    by_id = {p.period_id: p for p in periods}
    with cf.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = {}
        for period in periods:
            for notebook in notebooks:
                output = staging[period.period_id] / "notebooks" / notebook.name
                parameters = {"data_dir": str(pack.directory), "period_id": period.period_id}
                future = pool.submit(execute.execute, notebook, output, parameters, period.period_id, options.timeout)
                futures[future] = (period.period_id, notebook.name)
        try:
            for future in cf.as_completed(futures):
                period_id, name = futures[future]
                try:
                    future.result()
                except NotebookExecutionError as exc:
                    _keep_failed(exc, programme_dir)
                    raise
                progress.step(period_id, name)
                remaining[period_id] -= 1
                if remaining[period_id] == 0:
                    yield by_id[period_id], staging[period_id]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _keep_failed(exc: NotebookExecutionError, programme_dir: Path) -> None:
    """Move the failed executed notebook out of staging, and point the error message at it."""
    kept = programme_dir / "failed" / exc.period_id / exc.notebook
    kept.parent.mkdir(parents=True, exist_ok=True)
    if Path(exc.saved_at).exists():
        shutil.copyfile(exc.saved_at, kept)
        exc.saved_at = str(kept)
        exc.args = (
            str(exc).split("\nThe executed notebook")[0]
            + f"\nThe executed notebook, with the error, is kept at {kept}",
        )


def _finish_period(pack: Pack, period: P.Period, notebooks: list[Path], folder: Path, formats) -> None:
    """Write metrics.json, manifest.json and the rendered report into the staging folder."""
    from .render import render_period

    figures = key_figures(pack, period)
    publish.write_json(folder / "metrics.json", figures)
    parameters = {"data_dir": str(pack.directory), "period_id": period.period_id}
    publish.write_json(folder / "manifest.json", provenance(pack.directory, notebooks, parameters))
    render_period(pack, period, folder, formats, figures)


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"
