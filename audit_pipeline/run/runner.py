"""`pipeline.py run`: validate, plan, execute what is stale, render, publish each period atomically.

Work is split into units (one section notebook of one period) keyed on
their inputs (``units.py``). Fresh periods are skipped, units already
executed with the same key are reused from the unit cache, and the rest run
``jobs`` at a time, each in its own kernel and scratch folder. A period is
rendered as soon as all its units are done (in a process of its own, so
rendering and notebooks share the cores), then published whole.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import queue
import shutil
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from audit_pipeline.errors import NotebookExecutionError, PipelineError, UsageError
from audit_pipeline.measures import periods as P
from audit_pipeline.pack.cache import input_hashes, load_pack_cached
from audit_pipeline.pack.load import Pack
from audit_pipeline.run import execute, keys, publish
from audit_pipeline.run.executors import UnitResult, make_executor, run_unit
from audit_pipeline.run.progress import Progress
from audit_pipeline.settings import DEFAULT_TIMEOUT, NOTEBOOK_DIR

UNIT_CACHE = ".units"
DEFAULT_FORMATS = ("html", "pdf")


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


@dataclass
class PeriodPlan:
    """A period's units, its render key, and why it must be (re)built (empty when fresh)."""

    period: P.Period
    units: list[keys.Unit]
    render_key: str
    reasons: list[str]
    formats: tuple[str, ...] = DEFAULT_FORMATS
    templates: str = ""

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
    """Keys for every unit and period, compared with what is published.

    ``formats=None`` takes each period's formats from what was published (for ``list``)."""
    environment, templates = keys.environment_digest(), keys.templates_digest()
    hashes = input_hashes(pack.directory)
    reads = {nb: keys.notebook_reads(nb) for nb in notebooks}
    digests = {nb: keys._sha(nb.read_bytes()) for nb in notebooks}
    slices = keys.SliceCache(pack)
    plans = []
    for period in periods:
        parameters = {"data_dir": str(pack.directory), "period_id": period.period_id}
        period_units = [
            keys.make_unit(
                pack, period, nb, parameters, environment, reads=reads[nb], digest=digests[nb], slices=slices
            )
            for nb in notebooks
        ]
        published = read_manifest(programme_dir / period.period_id)
        chosen = tuple(formats) if formats is not None else _published_formats(published)
        key = keys.render_key(period_units, hashes, chosen, templates)
        reasons = keys.stale_reasons(published, period_units, key, hashes, templates, chosen)
        plans.append(PeriodPlan(period, period_units, key, reasons, chosen, templates))
    return plans


def _published_formats(manifest: dict | None) -> tuple[str, ...]:
    formats = (manifest or {}).get("render", {}).get("formats")
    return tuple(formats) if formats else DEFAULT_FORMATS


def _check_formats(formats) -> tuple[str, ...]:
    formats = tuple(formats)
    if not formats or set(formats) - {"html", "pdf"}:
        raise UsageError(f"--format takes html, pdf or html,pdf; got {','.join(formats) or 'nothing'}")
    return formats


def run(options: RunOptions) -> list[Path]:
    """Run the chosen periods; return the period folders published (fresh ones are left as they are).

    ``options.requested`` is set to every chosen period's folder, published now or already fresh."""
    formats = _check_formats(options.formats)
    if options.executor not in ("local", "dask"):
        raise UsageError(f"--executor takes local or dask, not {options.executor!r}")
    if options.executor == "dask" and not options.scheduler and options.client is None:
        raise UsageError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    notebooks = execute.section_notebooks(options.notebook_dir)
    if not notebooks:
        raise UsageError(f"no section notebooks (named like 01_name.ipynb) in {options.notebook_dir}")
    execute.start_fork_server()  # it imports what kernels need while we plan (stopped if not needed)
    pack = load_pack_cached(options.data_dir)  # DataPackError when invalid: nothing executed
    periods = choose_periods(pack, options.period_ids, options.all_periods)
    programme_dir = options.out_dir.resolve() / pack.programme["programme_id"]
    options.requested = [programme_dir / p.period_id for p in periods]
    stream = options.progress_stream
    with publish.run_lock(programme_dir, stream=stream):
        publish.sweep(programme_dir)
        execute.sweep_temporary()
        plans = plan(pack, periods, notebooks, formats, programme_dir)
        todo = [p for p in plans if options.force or not p.fresh]
        progress = Progress(periods=[p.period.period_id for p in todo], units=len(notebooks), stream=stream)
        try:
            for fresh in (p for p in plans if p not in todo):
                progress.note(f"{fresh.period.period_id}: up to date")
            for stale in todo:
                why = "forced (--force)" if stale.fresh else summarise_reasons(stale.reasons, len(notebooks))
                progress.note(f"{stale.period.period_id}: to build: {why}")
            if not todo:
                execute.stop_fork_server(wait=False)
            published = _build(pack, todo, programme_dir, options, progress) if todo else []
            if published or not (programme_dir / "index.html").exists():
                from audit_pipeline.report.index import write_index

                write_index(
                    programme_dir, [p.period_id for p in P.all_periods(pack.tables["periods"])], pack.programme["name"]
                )
        finally:
            progress.done()
    return published


def summarise_reasons(reasons: list[str], notebooks: int) -> str:
    """Reasons in one line: ``data changed (costs): 01_summary, 02_costs_savings; report: ...``."""
    by_reason: dict[str, list[str]] = {}
    other = []
    for reason in reasons:
        name, _, why = reason.partition(": ")
        if name.endswith(".ipynb") and why:
            by_reason.setdefault(why, []).append(name.removesuffix(".ipynb"))
        else:
            other.append(reason)
    parts = [
        f"{why}: {'every notebook' if len(names) == notebooks > 1 else ', '.join(names)}"
        for why, names in by_reason.items()
    ]
    return "; ".join(parts + other)


# ---- the unit cache ------------------------------------------------------------------------------


def _cache_get(programme_dir: Path, unit: keys.Unit) -> bytes | None:
    path = programme_dir / UNIT_CACHE / f"{unit.key}.ipynb"
    try:
        return path.read_bytes()
    except OSError:
        return None


def _cache_put(programme_dir: Path, unit: keys.Unit, data: bytes) -> None:
    folder = programme_dir / UNIT_CACHE
    folder.mkdir(exist_ok=True)
    temporary = folder / f".{unit.key}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    temporary.replace(folder / f"{unit.key}.ipynb")


# ---- building periods ------------------------------------------------------------------------------


class _Build:
    """Reuse cached units, run the rest, render each period once its units are in, publish it.

    Local units and renderings share ``jobs`` slots (see ``_fill`` for which goes first); with Dask
    the units run on the cluster and renderings here, ``jobs`` at a time.
    Completions arrive on one queue, in the main thread, which alone touches the output folder.
    """

    def __init__(self, pack: Pack, plans: list[PeriodPlan], programme_dir: Path, options: RunOptions, progress):
        self.pack, self.plans, self.programme_dir, self.options, self.progress = (
            pack,
            plans,
            programme_dir,
            options,
            progress,
        )
        self.events: queue.Queue = queue.Queue()
        self.staging: dict[str, Path] = {}
        self.remaining = {p.period.period_id: len(p.units) for p in plans}
        self.by_id = {p.period.period_id: p for p in plans}
        self.units: deque = deque()
        self.renders: deque = deque()
        self.local = options.client is None and options.executor == "local"
        self.slots = max(1, options.jobs)
        self.busy = 0  # local slots in use
        self.pool = cf.ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="audit")
        self.remote = None
        self.futures: dict = {}
        self.published: list[Path] = []
        self.abandoned = False

    # -- bookkeeping

    def _folder(self, period_id: str) -> Path:
        if period_id not in self.staging:
            self.staging[period_id] = publish.staging_dir(self.programme_dir / period_id)
        return self.staging[period_id]

    def _store(self, unit: keys.Unit, data: bytes) -> None:
        target = self._folder(unit.period.period_id) / "notebooks" / unit.notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.remaining[unit.period.period_id] -= 1
        if self.remaining[unit.period.period_id] == 0:
            self.renders.append(self.by_id[unit.period.period_id])

    def _submit_local(self, kind: str, item, fn, *args) -> None:
        future = self.pool.submit(fn, *args)
        self.busy += 1
        self.futures[future] = (kind, item, True)
        future.add_done_callback(self.events.put)

    def _submit_unit(self, unit: keys.Unit, executor) -> None:
        args = (
            unit.notebook.name,
            unit.notebook.read_bytes(),
            unit.parameters,
            unit.period.period_id,
            self.options.timeout,
        )
        if executor is None:
            self._submit_local("unit", unit, self._run_unit, *args)
            return
        future = executor.submit(run_unit, *args)
        self.futures[future] = ("unit", unit, False)
        future.add_done_callback(self.events.put)

    def _run_unit(self, *args) -> UnitResult:
        if self.abandoned:  # the run is stopping: start nothing new (not even a new fork server)
            raise cf.CancelledError
        return run_unit(*args)

    def _fill(self, executor) -> None:
        """Start what the free slots can take. While local units remain, ``slots - 1`` finished
        periods wait to be rendered: so the run ends with as many renderings side by side as
        there are slots, not with the last period's rendering alone on one core."""
        while self.busy < self.slots and (self.renders or (self.local and self.units)):
            units_left = self.local and self.units
            if self.renders and (not units_left or len(self.renders) >= self.slots):
                plan_ = self.renders.popleft()
                folder = self.staging[plan_.period.period_id]
                self.progress.note(f"{plan_.period.period_id}: rendering {', '.join(plan_.formats)}")
                self._submit_local("render", plan_, _render, str(self.pack.directory), plan_, str(folder))
            else:
                self._submit_unit(self.units.popleft(), None)

    # -- the loop

    def run(self) -> list[Path]:
        for p in self.plans:
            for unit in p.units:
                cached = None if self.options.force else _cache_get(self.programme_dir, unit)
                if cached is None:
                    self.units.append(unit)
                    continue
                self.progress.step(unit.period.period_id, unit.notebook.name, reused=True)
                self._store(unit, cached)
        if self.units or self.renders:
            execute.start_fork_server()
        if self.units:
            checked = set()
            for unit in self.units:  # before any kernel starts: a wrong parameter is a usage error
                if unit.notebook not in checked:
                    execute.check_parameters(unit.notebook, unit.parameters)
                    checked.add(unit.notebook)
        executor = None
        if self.units and self.local and (server := execute.fork_server()) is not None:
            server.warm(str(self.pack.directory), list(dict.fromkeys(u.period.period_id for u in self.units)))
        try:
            if self.units and not self.local:
                executor = self.remote = _remote_executor(self.options)
                while self.units:
                    self._submit_unit(self.units.popleft(), executor)
            self._fill(executor)
            while self.futures:
                future = self._next()
                kind, item, local = self.futures.pop(future)
                if local:
                    self.busy -= 1
                self._done(kind, item, future)
                self._fill(executor)
        except BaseException:
            self._abandon(executor)
            raise
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            if executor is not None:
                executor.close()
            for folder in self.staging.values():
                shutil.rmtree(folder, ignore_errors=True)
        return self.published

    def _next(self):
        while True:
            try:
                return self.events.get(timeout=0.5)
            except queue.Empty:
                continue

    def _done(self, kind: str, item, future) -> None:
        if kind == "unit":
            try:
                result: UnitResult = future.result()
            except Exception as exc:  # the worker died or the cluster went away
                if isinstance(exc, PipelineError):
                    raise
                raise NotebookExecutionError(
                    item.period.period_id, item.notebook.name, None, type(exc).__name__, str(exc), "(not kept)"
                ) from exc
            if result.error is not None:
                raise _failure(item, result, self.programme_dir)
            _cache_put(self.programme_dir, item, result.notebook)
            self.progress.step(item.period.period_id, item.notebook.name)
            self._store(item, result.notebook)
        else:
            future.result()  # a rendering that failed raises here
            period_id = item.period.period_id
            final = self.programme_dir / period_id
            if publish.publish(self.staging.pop(period_id), final):  # h5-verify: False when the bytes are unchanged
                self.published.append(final)
                self.progress.published(period_id)
            else:  # h5-verify
                self.progress.note(f"{period_id}: rebuilt the very bytes published: nothing to publish")

    def _abandon(self, executor) -> None:
        """Stop at once: nothing more starts, remote units are cancelled, running kernels are stopped."""
        self.abandoned = True
        self.units.clear()
        self.renders.clear()
        if executor is not None:
            executor.cancel([f for f, (_, _, local) in self.futures.items() if not local])
        for future, (_, _, local) in self.futures.items():
            if local:
                future.cancel()
        execute.stop_fork_server()  # its kernels and renderings die with it, so what runs ends now


def _remote_executor(options: RunOptions):
    from audit_pipeline.run.executors import DaskExecutor

    if options.client is not None:
        return DaskExecutor(client=options.client)
    return make_executor("dask", options.jobs, options.scheduler)


def _render(data_dir: str, plan_: PeriodPlan, folder: str) -> None:
    """Render a period in a child of the fork server (so renderings run beside notebooks, on any core)."""
    execute.call_forked(("audit_pipeline.run.runner", "render_period_job"), data_dir, plan_, folder)


def render_period_job(data_dir: str, plan_: PeriodPlan, folder: str) -> None:
    _finish_period(load_pack_cached(data_dir), plan_, Path(folder), plan_.formats)


def _build(pack, plans, programme_dir, options, progress) -> list[Path]:
    return _Build(pack, plans, programme_dir, options, progress).run()


def _failure(unit: keys.Unit, result: UnitResult, programme_dir: Path) -> NotebookExecutionError:
    """Keep the failed executed notebook outside any published folder and name it in the error."""
    kept = programme_dir / "failed" / unit.period.period_id / unit.notebook.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(result.notebook)
    error = result.error
    return NotebookExecutionError(
        unit.period.period_id, unit.notebook.name, error["cell_index"], error["ename"], error["evalue"], str(kept)
    )


def _finish_period(pack: Pack, plan_: PeriodPlan, folder: Path, formats) -> None:
    """Write metrics.json, manifest.json and the rendered report into the staging folder."""
    from audit_pipeline.measures.summary import key_figures
    from audit_pipeline.report.render import render_period
    from audit_pipeline.run.provenance import provenance

    period = plan_.period
    figures = key_figures(pack, period)
    publish.write_json(folder / "metrics.json", figures)
    notebooks = [u.notebook for u in plan_.units]
    manifest = provenance(pack.directory, notebooks, plan_.units[0].parameters)
    manifest["units"] = {u.notebook.name: {"key": u.key, "components": u.components} for u in plan_.units}
    manifest["render"] = {"key": plan_.render_key, "formats": sorted(formats), "templates": plan_.templates}
    from audit_pipeline.run.history import version_block  # h5-verify: versions kept (issue 8)

    manifest["version"] = version_block(folder, folder.parent / period.period_id, manifest, figures)  # h5-verify
    publish.write_json(folder / "manifest.json", manifest)
    render_period(pack, period, folder, formats, figures)


def status(data_dir: Path, out_dir: Path, formats=None, notebook_dir: Path = NOTEBOOK_DIR) -> list[dict]:
    """Each period of the pack: fresh, stale (with reasons) or missing, against what is published.

    Without ``formats``, each period is compared in the formats it was published in."""
    pack = load_pack_cached(data_dir)
    programme_dir = out_dir.resolve() / pack.programme["programme_id"]
    periods = P.all_periods(pack.tables["periods"])
    chosen = _check_formats(formats) if formats is not None else None
    rows = []
    for p in plan(pack, periods, execute.section_notebooks(notebook_dir), chosen, programme_dir):
        published = (programme_dir / p.period.period_id / "manifest.json").exists()
        state = "fresh" if p.fresh else ("stale" if published else "missing")
        rows.append(
            {
                "period_id": p.period.period_id,
                "label": p.period.label,
                "state": state,
                "reasons": [] if state != "stale" else p.reasons,
            }
        )
    return rows
