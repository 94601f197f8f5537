"""`pipeline.py run`: validate, plan, execute what is stale, render, publish each period atomically.

Work is split into units (one section notebook of one period) keyed on
their inputs (``units.py``). Fresh periods are skipped, units already
executed with the same key are reused from the unit cache, and the rest run
``jobs`` at a time, each in its own kernel and scratch folder. A period is
rendered and published as soon as all its units are done.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import execute, publish, units
from .context import input_hashes, load_pack_cached
from .datapack import Pack
from .errors import NotebookExecutionError, UsageError
from .executors import UnitResult, make_executor, run_unit
from .measures import periods as P
from .measures.summary import key_figures
from .progress import Progress

UNIT_CACHE = ".units"


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
    executor: str = "local"
    scheduler: str | None = None
    client: object = None  # a dask Client to use instead of --scheduler (tests, notebooks)


@dataclass
class PeriodPlan:
    """A period's units, its render key, and why it must be (re)built (empty when fresh)."""

    period: P.Period
    units: list[units.Unit]
    render_key: str
    reasons: list[str]

    @property
    def fresh(self) -> bool:
        return not self.reasons


def choose_periods(pack: Pack, period_ids: list[str], all_periods: bool) -> list[P.Period]:
    """The periods to run, in reporting order; an unknown id is a ``UsageError`` listing the valid ones."""
    periods = pack.tables["periods"]
    if all_periods:
        return P.all_periods(periods)
    if not period_ids:
        return [P.period_of(periods, None)]
    chosen = {P.period_of(periods, pid).period_id for pid in period_ids}
    return [p for p in P.all_periods(periods) if p.period_id in chosen]


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def plan(pack: Pack, periods: list[P.Period], notebooks: list[Path], formats, programme_dir: Path) -> list[PeriodPlan]:
    """Keys for every unit and period, compared with what is published."""
    environment, templates = units.environment_digest(), units.templates_digest()
    hashes = input_hashes(pack.directory)
    plans = []
    for period in periods:
        parameters = {"data_dir": str(pack.directory), "period_id": period.period_id}
        period_units = [units.make_unit(pack, period, nb, parameters, environment) for nb in notebooks]
        key = units.render_key(period_units, hashes, formats, templates)
        reasons = units.stale_reasons(read_manifest(programme_dir / period.period_id), period_units, key)
        plans.append(PeriodPlan(period, period_units, key, reasons))
    return plans


def _check_formats(formats) -> tuple[str, ...]:
    formats = tuple(formats)
    if not formats or set(formats) - {"html", "pdf"}:
        raise UsageError(f"--format takes html, pdf or html,pdf; got {','.join(formats) or 'nothing'}")
    return formats


def run(options: RunOptions) -> list[Path]:
    """Run the chosen periods; return the period folders published (fresh ones are left as they are)."""
    formats = _check_formats(options.formats)
    pack = load_pack_cached(options.data_dir)  # DataPackError when invalid: nothing executed
    periods = choose_periods(pack, options.period_ids, options.all_periods)
    notebooks = execute.section_notebooks(options.notebook_dir)
    if not notebooks:
        raise UsageError(f"no section notebooks (named like 01_name.ipynb) in {options.notebook_dir}")
    for notebook in notebooks:
        execute.check_parameters(notebook, {"data_dir": str(pack.directory), "period_id": periods[0].period_id})
    programme_dir = options.out_dir.resolve() / pack.programme["programme_id"]
    with publish.run_lock(programme_dir):
        publish.sweep(programme_dir)
        plans = plan(pack, periods, notebooks, formats, programme_dir)
        todo = [p for p in plans if options.force or not p.fresh]
        progress = Progress(periods=[p.period.period_id for p in todo], units=len(notebooks))
        for fresh in (p for p in plans if p not in todo):
            progress.note(f"{fresh.period.period_id}: up to date")
        published = _build(pack, todo, formats, programme_dir, options, progress) if todo else []
        from .index import write_index

        write_index(programme_dir, [p.period_id for p in P.all_periods(pack.tables["periods"])])
        progress.done()
    return published


def _build(pack, plans, formats, programme_dir, options, progress) -> list[Path]:
    staging = {p.period.period_id: publish.staging_dir(programme_dir / p.period.period_id) for p in plans}
    published = []
    try:
        for done in _execute_units(plans, staging, programme_dir, options, progress):
            folder = staging[done.period.period_id]
            _finish_period(pack, done, folder, formats)
            final = programme_dir / done.period.period_id
            publish.publish(folder, final)
            published.append(final)
            progress.published(done.period.period_id)
    finally:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
    return published


def _cache_get(programme_dir: Path, unit: units.Unit) -> bytes | None:
    path = programme_dir / UNIT_CACHE / f"{unit.key}.ipynb"
    return path.read_bytes() if path.exists() else None


def _cache_put(programme_dir: Path, unit: units.Unit, data: bytes) -> None:
    folder = programme_dir / UNIT_CACHE
    folder.mkdir(exist_ok=True)
    temporary = folder / f".{unit.key}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    temporary.replace(folder / f"{unit.key}.ipynb")


def _execute_units(plans, staging, programme_dir, options, progress):
    """Reuse cached units, run the rest; yield each period's plan once all its units are in staging."""
    remaining = {p.period.period_id: len(p.units) for p in plans}
    by_id = {p.period.period_id: p for p in plans}

    def store(unit: units.Unit, data: bytes):
        target = staging[unit.period.period_id] / "notebooks" / unit.notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        remaining[unit.period.period_id] -= 1
        return by_id[unit.period.period_id] if remaining[unit.period.period_id] == 0 else None

    pending = []
    for p in plans:
        for unit in p.units:
            cached = None if options.force else _cache_get(programme_dir, unit)
            if cached is None:
                pending.append(unit)
                continue
            progress.step(unit.period.period_id, unit.notebook.name, reused=True)
            finished = store(unit, cached)
            if finished:
                yield finished
    if not pending:
        return
    executor = make_executor(options.executor, options.jobs, options.scheduler) if options.client is None else _client_executor(options.client)
    futures = {}
    try:
        for unit in pending:
            args = (unit.notebook.name, unit.notebook.read_bytes(), unit.parameters, unit.period.period_id, options.timeout)
            futures[executor.submit(run_unit, *args)] = unit
        for future in executor.as_completed(futures):
            unit = futures[future]
            result: UnitResult = future.result()
            if result.error is not None:
                raise _failure(unit, result, programme_dir)
            _cache_put(programme_dir, unit, result.notebook)
            progress.step(unit.period.period_id, unit.notebook.name)
            finished = store(unit, result.notebook)
            if finished:
                yield finished
    except BaseException:
        executor.cancel(futures)
        raise
    finally:
        executor.close()


def _client_executor(client):
    from .executors import DaskExecutor

    return DaskExecutor(client=client)


def _failure(unit: units.Unit, result: UnitResult, programme_dir: Path) -> NotebookExecutionError:
    """Keep the failed executed notebook outside any published folder and name it in the error."""
    kept = programme_dir / "failed" / unit.period.period_id / unit.notebook.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(result.notebook)
    error = result.error
    return NotebookExecutionError(unit.period.period_id, unit.notebook.name, error["cell_index"], error["ename"], error["evalue"], str(kept))


def _finish_period(pack: Pack, plan_: PeriodPlan, folder: Path, formats) -> None:
    """Write metrics.json, manifest.json and the rendered report into the staging folder."""
    from .provenance import provenance
    from .render import render_period

    period = plan_.period
    figures = key_figures(pack, period)
    publish.write_json(folder / "metrics.json", figures)
    notebooks = [u.notebook for u in plan_.units]
    manifest = provenance(pack.directory, notebooks, plan_.units[0].parameters)
    manifest["units"] = {u.notebook.name: {"key": u.key, "components": u.components} for u in plan_.units}
    manifest["render"] = {"key": plan_.render_key, "formats": sorted(formats)}
    publish.write_json(folder / "manifest.json", manifest)
    render_period(pack, period, folder, formats, figures)


def status(data_dir: Path, out_dir: Path, formats=("html", "pdf"), notebook_dir: Path = execute.NOTEBOOK_DIR) -> list[dict]:
    """Each period of the pack: fresh, stale (with reasons) or missing, against what is published."""
    pack = load_pack_cached(data_dir)
    programme_dir = out_dir.resolve() / pack.programme["programme_id"]
    periods = P.all_periods(pack.tables["periods"])
    rows = []
    for p in plan(pack, periods, execute.section_notebooks(notebook_dir), _check_formats(formats), programme_dir):
        published = (programme_dir / p.period.period_id / "manifest.json").exists()
        state = "fresh" if p.fresh else ("stale" if published else "missing")
        rows.append({"period_id": p.period.period_id, "label": p.period.label, "state": state, "reasons": [] if state != "stale" else p.reasons})
    return rows
