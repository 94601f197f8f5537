"""Units of work and their keys, for incremental runs, with dependencies found while they run.

A unit is one section notebook of one period. What can change its output is
known in two parts, as in ccache's depend mode or Shake:

- its *base*: the notebook's bytes, its parameters, the package's own code and
  the pinned dependency set (known before it runs);
- its *recorded reads*: the inputs its kernel actually read through the
  context (``report/context.py``): tables, programme fields (``programme:name``),
  ``transactions``, ``findings``, and ``files`` (the whole pack) when it opened a
  pack file around the context. They are known only once it has run.

A unit's key is the SHA-256 of its base and of the period-relevant digest
(``SliceCache``) of each recorded input. A unit is reused when an earlier run
with the same base recorded reads whose digests are all unchanged: by
construction, it would read the same values and write the same bytes. What a
notebook *declares* in its metadata (``audit_pipeline.reads``) is documentation
only and never part of a key. A period's *finish* (metrics, the figure register,
the rendered report with its provenance) is keyed the same way: its units' keys,
the templates, the formats and the digests of what the finish itself recorded
reading. A correction to one period's rows thus re-renders only the periods whose
reads it changes. Equal keys mean the output would be the same bytes.

Digests: a table keyed by period is taken as its rows up to the period (and forecast
rows); any other table, ``transactions`` and ``programme`` as its file's SHA-256
(what ``sha256sum`` prints: the report's provenance can be checked by hand).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from audit_pipeline.measures.periods import Period
from audit_pipeline.pack.contract import TABLES
from audit_pipeline.report.render import TEMPLATES
from audit_pipeline.settings import PACKAGE, ROOT

# Every input there is: each table, the programme metadata, the validation findings, "files"
# (the hash of every file in the pack) and "commentary" (the period's part of the auditor's
# commentary.md). A unit that ran without a context depends on all of them.
ABSENT = "absent"
ALL_INPUTS = (
    *[t for t in TABLES if t != "transactions"],
    "transactions",
    "programme",
    "findings",
    "files",
    "commentary",
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_without_templates() -> str:
    """SHA-256 over the package's files as ``settings.code_digest`` takes them, templates left out.

    Notebooks never read the templates (only rendering does, and the render key has its own
    digest of them), so a template change re-renders every period and reruns no notebook."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if TEMPLATES in path.parents:
            continue
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def environment_digest() -> str:
    """The package's code (templates aside), the pinned requirements and the Python version, as one digest."""
    requirements = (ROOT / "requirements.txt").read_bytes() if (ROOT / "requirements.txt").exists() else b""
    return _sha(code_without_templates().encode() + requirements + sys.version.encode())


def templates_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def notebook_reads(path: Path) -> tuple[str, ...]:
    """The inputs a notebook declares in its metadata (``audit_pipeline.reads``); all of them if it does not say.

    Documentation only: keys use the reads recorded while the unit ran."""
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})  # nbformat: slow to import
    reads = metadata.get("audit_pipeline", {}).get("reads")
    return tuple(reads) if reads else ALL_INPUTS


def _frame_digest(frame: pd.DataFrame) -> str:
    if frame.empty:
        return _sha(repr(list(frame.columns)).encode())
    hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    return _sha(repr(list(frame.columns)).encode() + hashed.tobytes())


def by_period(frame: pd.DataFrame | None, name: str) -> bool:
    """Whether a period's report reads only some rows of a table: its own and earlier periods' (and forecasts)."""
    return frame is not None and "period_id" in frame.columns and name != "periods"


def _file_digest(pack, name: str) -> str:
    """The SHA-256 of the file ``name`` was read from (``absent`` when the pack has none)."""
    from audit_pipeline.pack.load import file_sha256

    path = pack.files.get(name)
    return file_sha256(path) if path is not None else ABSENT


def slice_digest(pack, period: Period, name: str) -> str:
    """Digest of what an input contributes to ``period``.

    Tables keyed by period contribute their rows up to the period, and forecast rows of
    later periods (they enter forecast totals); other tables, transactions and the
    programme are taken whole, by their file's SHA-256.
    """
    if name in ("transactions", "programme"):
        return _file_digest(pack, name)
    if name.startswith("programme:"):
        field_name = name.partition(":")[2]
        value = pack.programme.get(field_name, ABSENT) if isinstance(pack.programme, dict) else ABSENT
        return _sha(json.dumps(value, sort_keys=True, default=str).encode())
    if name.startswith("file-name:"):
        path = pack.files.get(name.partition(":")[2])
        return _sha((path.name if path is not None else ABSENT).encode())
    if name == "files":
        from audit_pipeline.pack.cache import input_hashes

        return _sha(json.dumps(input_hashes(pack.directory), sort_keys=True).encode())
    if name == "commentary":
        part = getattr(pack, "commentary", {}).get(period.period_id, {})
        return _sha(json.dumps({h: p.text for h, p in part.items()}, sort_keys=True).encode())
    if name == "findings":
        return _sha("\n".join(str(f) for f in pack.findings).encode())
    frame = pack.tables.get(name)
    if frame is None:  # a name this version does not know (or a table the pack lacks)
        return ABSENT
    if not by_period(frame, name):
        return _file_digest(pack, name)
    starts = pack.tables["periods"].set_index("period_id")["start_date"]
    start = frame["period_id"].map(starts)
    relevant = start <= period.start
    if "status" in frame.columns:
        relevant |= frame["status"] == "forecast"
    return _frame_digest(frame[relevant])


class SliceCache:
    """``slice_digest`` for a whole plan, cheaply: inputs that do not depend on the period (whole
    tables, files, findings) once; tables keyed by period hashed row by row once, each period's
    digest then taken over its rows' hashes (row hashes depend on the row alone, so this equals
    ``slice_digest`` exactly)."""

    def __init__(self, pack):
        self.pack = pack
        self.digests: dict[tuple[str, str | None], str] = {}
        self.rows: dict[str, tuple] = {}

    def _by_period(self, name: str) -> bool:
        if name == "commentary":  # each period has its own part
            return True
        return by_period(self.pack.tables.get(name), name)

    def _row_hashes(self, name: str) -> tuple:
        if name not in self.rows:
            frame = self.pack.tables[name]
            starts = self.pack.tables["periods"].set_index("period_id")["start_date"]
            start = frame["period_id"].map(starts)
            forecast = (frame["status"] == "forecast").to_numpy(bool) if "status" in frame.columns else None
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy() if len(frame) else None
            self.rows[name] = (repr(list(frame.columns)).encode(), start, forecast, hashed)
        return self.rows[name]

    def get(self, period: Period, name: str) -> str:
        keyed = self._by_period(name)
        key = (name, period.period_id if keyed else None)
        if key not in self.digests:
            if not keyed or name == "commentary":
                self.digests[key] = slice_digest(self.pack, period, name)
            else:
                columns, start, forecast, hashed = self._row_hashes(name)
                relevant = (start <= period.start).to_numpy(bool, copy=True)
                if forecast is not None:
                    relevant |= forecast
                rows = hashed[relevant].tobytes() if hashed is not None and relevant.any() else b""
                self.digests[key] = _sha(columns + rows)
        return self.digests[key]


@dataclass
class Unit:
    """One section notebook of one period: its base components and, once known, its recorded reads.

    ``components`` holds ``notebook``, ``parameters`` and ``environment`` (the base) and, once the
    unit is resolved (run, or matched in the unit cache or the published manifest), ``data``: the
    digest of each input it read."""

    notebook: Path
    period: Period
    parameters: dict
    components: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The first-level key: notebook, parameters and environment."""
        base = {k: v for k, v in self.components.items() if k != "data"}
        return _sha(json.dumps(base, sort_keys=True).encode())

    @property
    def resolved(self) -> bool:
        return "data" in self.components

    @property
    def reads(self) -> list[str]:
        return sorted(self.components.get("data", {}))

    @property
    def key(self) -> str:
        """The full key (base and the digests of the recorded reads); only for a resolved unit."""
        if not self.resolved:
            raise ValueError(f"{self.notebook.name} of {self.period.period_id}: reads not known yet")
        return _sha(json.dumps(self.components, sort_keys=True).encode())

    def resolve(self, reads, slices: SliceCache) -> None:
        """Set the recorded reads (``None``: it ran without a context, so it depends on every input)."""
        names = ALL_INPUTS if reads is None else reads
        self.components["data"] = {name: slices.get(self.period, name) for name in sorted(names)}


def make_unit(
    pack, period: Period, notebook: Path, parameters: dict, environment: str, digest: str | None = None
) -> Unit:
    """An unresolved unit with its base components: notebook, parameters and environment.

    ``digest`` (of the notebook's bytes) saves work when planning many units."""
    components = {
        "notebook": digest or _sha(notebook.read_bytes()),
        "parameters": parameters,
        "environment": environment,
    }
    return Unit(notebook, period, parameters, components)


def changed_reads(data: dict, period: Period, slices: SliceCache) -> list[str]:
    """The recorded inputs whose period-relevant digest differs now (empty: the unit can be reused)."""
    return sorted(name for name, digest in data.items() if slices.get(period, name) != digest)


def render_key(units: list[Unit], reads: dict[str, str], formats: tuple[str, ...], templates: str) -> str:
    """The key of a period's finish (and so of its whole published folder): its units' keys (they
    must be resolved), the digests of what the finish recorded reading, the formats and templates."""
    payload = {
        "units": {u.notebook.name: u.key for u in units},
        "reads": reads,
        "formats": sorted(formats),
        "templates": templates,
    }
    return _sha(json.dumps(payload, sort_keys=True).encode())


def stale_reasons(
    published: dict | None,
    units: list[Unit],
    slices: SliceCache,
    templates: str,
    formats: tuple[str, ...],
) -> list[str]:
    """Why a published period is not fresh, from its manifest (empty when it is fresh).

    Each unit whose base is unchanged and whose recorded reads still have the digests the
    manifest recorded is resolved from the manifest (so the render key can be compared)."""
    if published is None:
        return ["not published"]
    reasons = []
    old_units = published.get("units", {})
    for unit in units:
        name = unit.notebook.name
        old = old_units.get(name, {}).get("components")
        if old is None:
            reasons.append(f"{name}: new section")
            continue
        new = unit.components
        before = len(reasons)
        if old.get("notebook") != new["notebook"]:
            reasons.append(f"{name}: notebook changed")
        if old.get("parameters") != new["parameters"]:
            reasons.append(f"{name}: parameters changed")
        if old.get("environment") != new["environment"]:
            reasons.append(f"{name}: code or dependencies changed")
        data = old.get("data")
        if not isinstance(data, dict) or "reads" not in old_units.get(name, {}):
            reasons.append(f"{name}: recorded reads unknown (published by an earlier version)")
            continue
        changed = changed_reads(data, unit.period, slices)
        if changed:
            reasons.append(f"{name}: data changed ({', '.join(changed)})")
        if len(reasons) == before:
            new["data"] = dict(data)
    removed = set(old_units) - {u.notebook.name for u in units}
    reasons += [f"{name}: section removed" for name in sorted(removed)]
    old_render = published.get("render", {})
    render_reads = old_render.get("reads")
    if not isinstance(render_reads, dict):
        reasons.append("report: recorded reads unknown (published by an earlier version)")
    elif changed := changed_reads(render_reads, units[0].period, slices) if units else []:
        reasons.append(f"report: data changed ({', '.join(changed)})")
    if old_render.get("templates") not in (None, templates):
        reasons.append("report: templates changed")
    if old_render.get("formats") is not None and sorted(old_render["formats"]) != sorted(formats):
        reasons.append(f"report: formats changed ({', '.join(old_render['formats'])} -> {', '.join(sorted(formats))})")
    if reasons:
        return reasons
    if old_render.get("key") != render_key(units, render_reads, formats, templates):
        return ["report: templates or rendering changed"]
    return []
