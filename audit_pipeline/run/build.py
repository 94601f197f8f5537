"""Building the stale periods of a plan: reuse units, run the rest, render, publish each period.

A unit is reused when an earlier run with the same base recorded reads that are all
unchanged: the published notebook when the period's manifest says so, else an entry of
the unit cache (``run/unitcache.py``). The rest run ``jobs`` at a time, each in its own
kernel and scratch folder, and hand back what they read (``UnitResult.reads``), which
resolves their key. A period is rendered as soon as all its units are done (in a process
of its own, so rendering and notebooks share the cores), then published whole.
"""

from __future__ import annotations

import concurrent.futures as cf
import queue
import shutil
from collections import deque
from pathlib import Path

from audit_pipeline.errors import NotebookExecutionError, PipelineError
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.pack.load import Pack
from audit_pipeline.run import forkserver, keys, publish, unitcache
from audit_pipeline.run.executors import UnitResult, make_executor, run_unit
from audit_pipeline.run.notebooks import check_parameters
from audit_pipeline.run.plan import PeriodPlan


class _Build:
    """Reuse cached units, run the rest, render each period once its units are in, publish it.

    Local units and renderings share ``jobs`` slots (see ``_fill`` for which goes first); with Dask
    the units run on the cluster and renderings here, ``jobs`` at a time.
    Completions arrive on one queue, in the main thread, which alone touches the output folder.
    """

    def __init__(self, pack: Pack, plans: list[PeriodPlan], programme_dir: Path, options, progress, slices):
        self.pack, self.plans, self.programme_dir, self.options, self.progress = (
            pack,
            plans,
            programme_dir,
            options,
            progress,
        )
        self.slices = slices
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
            self.renders.append(self.by_id[unit.period.period_id])  # every unit resolved: render it

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

    def _reusable(self, unit: keys.Unit) -> bytes | None:
        """The executed notebook of an earlier run with the same base and unchanged recorded reads:
        the published one when the manifest matched (``unit`` is resolved), else from the unit cache."""
        if unit.resolved:
            try:
                return (self.programme_dir / unit.period.period_id / "notebooks" / unit.notebook.name).read_bytes()
            except OSError:
                unit.components.pop("data", None)
        return unitcache.lookup(self.programme_dir, unit, self.slices)

    # -- the loop

    def run(self) -> list[Path]:
        for p in self.plans:
            for unit in p.units:
                cached = None if self.options.force else self._reusable(unit)
                if cached is None:
                    unit.components.pop("data", None)  # its reads are recorded when it runs
                    self.units.append(unit)
                    continue
                self.progress.step(unit.period.period_id, unit.notebook.name, reused=True)
                self._store(unit, cached)
        if self.units or self.renders:
            forkserver.start_fork_server()
        if self.units:
            checked = set()
            for unit in self.units:  # before any kernel starts: a wrong parameter is a usage error
                if unit.notebook not in checked:
                    check_parameters(unit.notebook, unit.parameters)
                    checked.add(unit.notebook)
        executor = None
        if self.units and self.local and (server := forkserver.fork_server()) is not None:
            server.warm(str(self.pack.directory))
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
            item.resolve(result.reads, self.slices)
            unitcache.put(self.programme_dir, item, result.notebook)
            self.progress.step(item.period.period_id, item.notebook.name)
            self._store(item, result.notebook)
        else:
            future.result()  # a rendering that failed raises here
            period_id = item.period.period_id
            final = self.programme_dir / period_id
            if publish.publish(self.staging.pop(period_id), final):  # False when the bytes are unchanged
                self.published.append(final)
                self.progress.published(period_id)
            else:
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
        forkserver.stop_fork_server()  # its kernels and renderings die with it, so what runs ends now


def _remote_executor(options):
    from audit_pipeline.run.executors import DaskExecutor

    if options.client is not None:
        return DaskExecutor(client=options.client)
    return make_executor("dask", options.jobs, options.scheduler)


def _render(data_dir: str, plan_: PeriodPlan, folder: str) -> None:
    """Render a period in a child of the fork server (so renderings run beside notebooks, on any core)."""
    forkserver.call_forked(("audit_pipeline.run.build", "render_period_job"), data_dir, plan_, folder)


def render_period_job(data_dir: str, plan_: PeriodPlan, folder: str) -> None:
    _finish_period(load_pack_cached(data_dir), plan_, Path(folder), plan_.formats)


def build(pack, plans, programme_dir, options, progress, slices) -> list[Path]:
    """Build the given periods (see ``_Build``); return the folders published."""
    return _Build(pack, plans, programme_dir, options, progress, slices).run()


def _failure(unit: keys.Unit, result: UnitResult, programme_dir: Path) -> NotebookExecutionError:
    """Keep the failed executed notebook outside any published folder and name it in the error."""
    kept = programme_dir / "failed" / unit.period.period_id / unit.notebook.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(result.notebook)
    error = result.error
    return NotebookExecutionError(
        unit.period.period_id,
        unit.notebook.name,
        error["cell_index"],
        error["ename"],
        error["evalue"],
        str(kept),
        execution_count=error.get("execution_count"),
    )


def _finish_period(pack: Pack, plan_: PeriodPlan, folder: Path, formats) -> None:
    """Write metrics.json, figures.json/.xlsx, manifest.json and the rendered report into the staging folder.

    Metrics, the register and the report's frame are computed through a ``PackView`` that
    records what they read, like the units' kernels. Those reads and the units' (with the digests that key them) make
    the report's provenance and its render key, so both are known before the report is drawn;
    the rendering may read nothing else (``_check_render_reads``)."""
    from audit_pipeline.measures.summary import key_figures
    from audit_pipeline.report import reads
    from audit_pipeline.report.context import PackView
    from audit_pipeline.report.render import render_period, report_resources
    from audit_pipeline.run.figures import write_figures  # the figure register (issue 9)
    from audit_pipeline.run.history import version_block  # versions kept (issue 8)
    from audit_pipeline.run.inputs import period_inputs
    from audit_pipeline.run.provenance import provenance

    period, view = plan_.period, PackView(pack)
    with reads.capture() as told:
        figures = key_figures(view, period)
        write_figures(view, period, folder)
        report_resources(view, period, [])  # what the report's frame reads (title, sponsor, ...)
    publish.write_json(folder / "metrics.json", figures)
    recorded = {name: digest for u in plan_.units for name, digest in u.components["data"].items()}
    slices = keys.SliceCache(pack)
    recorded.update({name: slices.get(period, name) for name in sorted(told - set(recorded))})
    notebooks = [u.notebook for u in plan_.units]
    manifest = provenance(pack.directory, notebooks, plan_.units[0].parameters, period_inputs(pack, period, recorded))
    manifest["units"] = {
        u.notebook.name: {"key": u.key, "reads": u.reads, "components": u.components} for u in plan_.units
    }
    render_reads = dict(sorted(recorded.items()))
    manifest["render"] = {
        "key": keys.render_key(plan_.units, render_reads, formats, plan_.templates),
        "formats": sorted(formats),
        "templates": plan_.templates,
        "reads": render_reads,
    }
    manifest["version"] = version_block(folder, folder.parent / period.period_id, manifest, figures)
    publish.write_json(folder / "manifest.json", manifest)
    with reads.capture() as drawn:
        render_period(view, period, folder, formats, figures)
    _check_render_reads(period, drawn, render_reads)


def _check_render_reads(period, drawn: set[str], known: dict[str, str]) -> None:
    """The rendering reads only what the units, metrics and register read: else the render key
    (made before it) could miss an input, and a later change to it could leave the report stale."""
    extra = sorted(drawn - set(known))
    if extra:
        raise RuntimeError(
            f"{period.period_id}: the rendering read {', '.join(extra)}, which no section, metric or "
            "register entry read; the report's key would not cover it"
        )
