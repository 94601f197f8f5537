"""Planning a run: which periods, their units, and whether each period is fresh (and why not).

A period is fresh when its published manifest names the same base for every unit
(notebook, parameters, environment), every input each unit *recorded* reading
still has the digest it had, and so does every input its metrics, register and
report read; templates and formats are unchanged. ``status`` is what ``pipeline.py list`` shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from audit_pipeline.errors import UsageError
from audit_pipeline.measures import periods as P
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.pack.load import Pack
from audit_pipeline.run import keys
from audit_pipeline.settings import NOTEBOOK_DIR

DEFAULT_FORMATS = ("html", "pdf")


@dataclass
class PeriodPlan:
    """A period's units and why it must be (re)built; its render key is made when it is rendered."""

    period: P.Period
    units: list[keys.Unit]
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
    """A published period's manifest, or ``None`` when there is none (or it is unreadable)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def published_formats(manifest: dict | None) -> tuple[str, ...]:
    formats = (manifest or {}).get("render", {}).get("formats")
    return tuple(formats) if formats else DEFAULT_FORMATS


def check_formats(formats) -> tuple[str, ...]:
    formats = tuple(formats)
    if not formats or set(formats) - {"html", "pdf"}:
        raise UsageError(f"--format takes html, pdf or html,pdf; got {','.join(formats) or 'nothing'}")
    return formats


def plan(
    pack: Pack,
    periods: list[P.Period],
    notebooks: list[Path],
    formats,
    programme_dir: Path,
    slices: keys.SliceCache | None = None,
) -> list[PeriodPlan]:
    """Keys for every unit and period, compared with what is published.

    ``formats=None`` takes each period's formats from what was published (for ``list``)."""
    environment, templates = keys.environment_digest(), keys.templates_digest()
    digests = {nb: keys._sha(nb.read_bytes()) for nb in notebooks}
    slices = slices or keys.SliceCache(pack)
    plans = []
    for period in periods:
        parameters = {"data_dir": str(pack.directory), "period_id": period.period_id}
        units = [keys.make_unit(pack, period, nb, parameters, environment, digest=digests[nb]) for nb in notebooks]
        published = read_manifest(programme_dir / period.period_id)
        chosen = tuple(formats) if formats is not None else published_formats(published)
        reasons = keys.stale_reasons(published, units, slices, templates, chosen)
        plans.append(PeriodPlan(period, units, reasons, chosen, templates))
    return plans


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


def status(data_dir: Path, out_dir: Path, formats=None, notebook_dir: Path = NOTEBOOK_DIR) -> list[dict]:
    """Each period of the pack: fresh, stale (with reasons) or missing, against what is published.

    Without ``formats``, each period is compared in the formats it was published in."""
    from audit_pipeline.run.notebooks import section_notebooks

    pack = load_pack_cached(data_dir)
    programme_dir = out_dir.resolve() / pack.programme["programme_id"]
    periods = P.all_periods(pack.tables["periods"])
    chosen = check_formats(formats) if formats is not None else None
    rows = []
    for p in plan(pack, periods, section_notebooks(notebook_dir), chosen, programme_dir):
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
