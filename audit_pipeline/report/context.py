"""What a section notebook starts from: the pack, the period, and the figures, loaded once.

``load_context(data_dir, period_id)`` is the one call at the top of each
notebook. A validated pack is cached on disk keyed on the SHA-256 of every
file in the pack and of the package's own code, so the six notebooks of a
period (and every period of a run) validate the pack once, not six times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from audit_pipeline.measures import periods as P
from audit_pipeline.measures.summary import key_figures
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.pack.load import Pack
from audit_pipeline.report.register import Register


@dataclass
class Context:
    """A period's pack, period, previous period and key figures."""

    pack: Pack
    period: P.Period
    previous: P.Period | None
    figures: dict
    register: Register | None = field(default=None, repr=False)  # the figures shown (report.register)

    def __post_init__(self):
        if self.register is None:
            self.register = Register(self.pack, self.period)

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
