"""Units of work and their keys, for incremental runs.

A unit is one section notebook of one period. Its key is the SHA-256 of
everything that can change its output: the notebook's bytes, its parameters,
the slice of each table it reads that matters for the period, the package's
own code and the pinned dependency set. A period's render key adds its units'
keys, every input file's hash (the report's provenance lists them all), the
templates and the formats. Equal keys mean the output would be the same bytes.
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
from audit_pipeline.settings import ROOT, code_digest

# Inputs a notebook may declare it reads: each table, the programme metadata, the validation
# findings, and "files" (the hash of every file in the pack, for anything that shows them).
# "commentary" is the period's part of the auditor's commentary.md (pack.commentary).
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


def environment_digest() -> str:
    """The package's code, the pinned requirements and the Python version, as one digest."""
    requirements = (ROOT / "requirements.txt").read_bytes() if (ROOT / "requirements.txt").exists() else b""
    return _sha(code_digest().encode() + requirements + sys.version.encode())


def templates_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def notebook_reads(path: Path) -> tuple[str, ...]:
    """The inputs a notebook declares in its metadata (``audit_pipeline.reads``); all of them if it does not say."""
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})  # nbformat: slow to import
    reads = metadata.get("audit_pipeline", {}).get("reads")
    return tuple(reads) if reads else ALL_INPUTS


def _frame_digest(frame: pd.DataFrame) -> str:
    if frame.empty:
        return _sha(repr(list(frame.columns)).encode())
    hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    return _sha(repr(list(frame.columns)).encode() + hashed.tobytes())


def slice_digest(pack, period: Period, name: str) -> str:
    """Digest of what a table contributes to ``period``.

    Tables keyed by period contribute their rows up to the period, and
    forecast rows of later periods (they enter forecast totals); other tables
    contribute whole. Transactions are taken whole, by their file's hash.
    """
    if name == "transactions":
        path = pack.files.get("transactions")
        from audit_pipeline.pack.load import file_sha256

        return file_sha256(path) if path else "absent"
    if name == "programme":
        return _sha(json.dumps(pack.programme, sort_keys=True, default=str).encode())
    if name == "files":
        from audit_pipeline.pack.cache import input_hashes

        return _sha(json.dumps(input_hashes(pack.directory), sort_keys=True).encode())
    if name == "commentary":
        part = getattr(pack, "commentary", {}).get(period.period_id, {})
        return _sha(json.dumps({h: p.text for h, p in part.items()}, sort_keys=True).encode())
    if name == "findings":
        return _sha("\n".join(str(f) for f in pack.findings).encode())
    frame = pack.tables[name]
    if "period_id" in frame.columns and name != "periods":
        starts = pack.tables["periods"].set_index("period_id")["start_date"]
        start = frame["period_id"].map(starts)
        relevant = start <= period.start
        if "status" in frame.columns:
            relevant |= frame["status"] == "forecast"
        frame = frame[relevant]
    return _frame_digest(frame)


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
        frame = self.pack.tables.get(name)
        return frame is not None and "period_id" in frame.columns and name != "periods"

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
        by_period = self._by_period(name)
        key = (name, period.period_id if by_period or name == "commentary" else None)
        if key not in self.digests:
            if not by_period:
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
    """One section notebook of one period, with its key and the parts of the key."""

    notebook: Path
    period: Period
    parameters: dict
    components: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return _sha(json.dumps(self.components, sort_keys=True).encode())


def make_unit(
    pack,
    period: Period,
    notebook: Path,
    parameters: dict,
    environment: str,
    reads: tuple[str, ...] | None = None,
    digest: str | None = None,
    slices: SliceCache | None = None,
) -> Unit:
    """A unit with its key components: notebook, parameters, environment and the data slices it reads.

    ``reads``, ``digest`` (of the notebook) and ``slices`` save work when planning many units."""
    slices = slices or SliceCache(pack)
    components = {
        "notebook": digest or _sha(notebook.read_bytes()),
        "parameters": parameters,
        "environment": environment,
        "data": {name: slices.get(period, name) for name in (reads or notebook_reads(notebook))},
    }
    return Unit(notebook, period, parameters, components)


def render_key(units: list[Unit], input_hashes: dict[str, str], formats: tuple[str, ...], templates: str) -> str:
    """The key of a period's rendering (and so of its whole published folder)."""
    payload = {
        "units": {u.notebook.name: u.key for u in units},
        "inputs": input_hashes,
        "formats": sorted(formats),
        "templates": templates,
    }
    return _sha(json.dumps(payload, sort_keys=True).encode())


def stale_reasons(
    published: dict | None,
    units: list[Unit],
    render: str,
    inputs: dict[str, str] | None = None,
    templates: str | None = None,
    formats: tuple[str, ...] | None = None,
) -> list[str]:
    """Why a published period is not fresh, from its manifest (empty when it is fresh)."""
    if published is None:
        return ["not published"]
    if published.get("render", {}).get("key") == render:
        return []
    reasons = []
    old_units = published.get("units", {})
    for unit in units:
        old = old_units.get(unit.notebook.name, {}).get("components")
        if old is None:
            reasons.append(f"{unit.notebook.name}: new section")
            continue
        new = unit.components
        if old.get("notebook") != new["notebook"]:
            reasons.append(f"{unit.notebook.name}: notebook changed")
        if old.get("parameters") != new["parameters"]:
            reasons.append(f"{unit.notebook.name}: parameters changed")
        if old.get("environment") != new["environment"]:
            reasons.append(f"{unit.notebook.name}: code or dependencies changed")
        changed = sorted(k for k in new["data"] if old.get("data", {}).get(k) != new["data"][k])
        if changed:
            reasons.append(f"{unit.notebook.name}: data changed ({', '.join(changed)})")
    removed = set(old_units) - {u.notebook.name for u in units}
    reasons += [f"{name}: section removed" for name in sorted(removed)]
    old_inputs = published.get("inputs", {}).get("files")
    if inputs is not None and old_inputs is not None and old_inputs != inputs:
        changed = sorted(n for n in set(inputs) | set(old_inputs) if inputs.get(n) != old_inputs.get(n))
        reasons.append(f"report: input files changed ({', '.join(changed)}), listed in its provenance")
    old_render = published.get("render", {})
    if templates is not None and old_render.get("templates") not in (None, templates):
        reasons.append("report: templates changed")
    if (
        formats is not None
        and old_render.get("formats") is not None
        and sorted(old_render["formats"]) != sorted(formats)
    ):
        reasons.append(f"report: formats changed ({', '.join(old_render['formats'])} -> {', '.join(sorted(formats))})")
    return reasons or ["report: templates or rendering changed"]
