"""What a section notebook starts from: the pack, the period, and the figures, loaded once.

``load_context(data_dir, period_id)`` is the one call at the top of each
notebook. A validated pack is cached on disk keyed on the SHA-256 of every
file in the pack and of the package's own code, so the six notebooks of a
period (and every period of a run) validate the pack once, not six times.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .datapack import Pack, file_sha256, load_pack
from .measures import periods as P
from .measures.summary import key_figures

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data" / "ngss"


def code_digest() -> str:
    """SHA-256 over the package's own source files (part of every cache key)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file in the pack folder, by file name."""
    return {p.name: file_sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


def cache_dir() -> Path:
    """Where validated packs are cached: ``$AUDIT_PIPELINE_CACHE``, else ``<repo>/.cache``."""
    return Path(os.environ.get("AUDIT_PIPELINE_CACHE", ROOT / ".cache"))


def load_pack_cached(directory: str | Path | None = None) -> Pack:
    """``load_pack`` with an on-disk cache keyed on input and code hashes."""
    directory = Path(directory or DEFAULT_DATA).resolve()
    key = hashlib.sha256(
        repr((str(directory), sorted(input_hashes(directory).items()), code_digest())).encode()
    ).hexdigest()
    path = cache_dir() / "packs" / f"{key}.pickle"
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)  # our own file, written below from a validated pack
    pack = load_pack(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        pickle.dump(pack, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(handle.name, path)
    return pack


@dataclass
class Context:
    """A period's pack, period, previous period and key figures."""

    pack: Pack
    period: P.Period
    previous: P.Period | None
    figures: dict

    @property
    def tables(self) -> dict:
        return self.pack.tables

    @property
    def thresholds(self) -> dict:
        return self.pack.programme["thresholds"]


def load_context(data_dir: str | Path | None = None, period_id: str | None = None) -> Context:
    """The context for one period (the pack's latest when ``period_id`` is ``None``)."""
    pack = load_pack_cached(data_dir)
    period = P.period_of(pack.tables["periods"], period_id)
    previous = P.previous_period(pack.tables["periods"], period)
    return Context(pack, period, previous, key_figures(pack, period))
