"""What a section notebook starts from: the pack, the period, and the figures, loaded once.

``load_context(data_dir, period_id)`` is the one call at the top of each
notebook. A validated pack is cached on disk keyed on the SHA-256 of every
file in the pack and of the package's own code, so the six notebooks of a
period (and every period of a run) validate the pack once, not six times.

The context also records what the notebook reads through it (its dynamic
dependencies, see ``run/keys.py``): each table, each field of the programme,
the findings, the transactions, and the tables behind the key figures it asks
for. Opening a file of the pack around the context makes it depend on the
whole pack (``files``). The names go to the read log of the unit (see
``audit_pipeline.report.reads``), so a unit is reused only while what it
really read is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from audit_pipeline.measures import periods as P
from audit_pipeline.pack.cache import load_pack_cached
from audit_pipeline.pack.load import Pack
from audit_pipeline.report import reads
from audit_pipeline.report.register import Register


class RecordingMapping(Mapping):
    """A read-only view of a mapping that records ``prefix + key`` for every key looked up."""

    def __init__(self, data: Mapping, prefix: str = ""):
        self._data, self._prefix = data, prefix

    def __getitem__(self, key):
        reads.record(f"{self._prefix}{key}")
        return self._data[key]

    def __contains__(self, key) -> bool:
        reads.record(f"{self._prefix}{key}")  # presence is a read too: absent fields have a digest
        return key in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


class PackView:
    """The pack as notebooks see it: each attribute records what it reads, then gives the real thing."""

    def __init__(self, pack: Pack):
        self._pack = pack
        self.directory = pack.directory
        self.tables = RecordingMapping(pack.tables)
        self.programme = RecordingMapping(pack.programme, "programme:")

    @property
    def transactions(self):
        reads.record("transactions")
        return self._pack.transactions

    @property
    def findings(self):
        reads.record("findings")
        return self._pack.findings

    @property
    def warnings(self):
        reads.record("findings")
        return self._pack.warnings

    @property
    def files(self):
        reads.record("files")
        return self._pack.files

    @property
    def commentary(self):
        """The auditor's commentary (``pack.commentary``): a read of this period's part of it only."""
        reads.record("commentary")
        return self._pack.commentary

    def file_name(self, table: str) -> str | None:
        """The name of the file ``table`` was read from (``None`` when the pack has none): a read of
        that name only, so a unit that names its inputs' files does not depend on every file."""
        reads.record(f"file-name:{table}")
        path = self._pack.files.get(table)
        return path.name if path is not None else None

    def __getitem__(self, name: str):
        return self.tables[name]

    def periods(self):
        reads.record("periods")
        return self._pack.periods()

    def __getattr__(self, name: str):  # anything else of the pack: depend on all of it
        reads.record("files")
        return getattr(self._pack, name)


def _figure(pack: PackView, period: P.Period, name: str):
    """One group of ``measures.summary.key_figures``, computed alone (a test checks they agree)."""
    from audit_pipeline.measures import finance, onboarding, recommendations, service

    t = pack.tables
    if name == "programme_id":
        return pack.programme["programme_id"]
    if name in ("period_id", "period_label"):
        reads.record("periods")
        return period.period_id if name == "period_id" else period.label
    if name == "costs":
        return finance.cost_figures(t["costs"], t["periods"], period)
    if name == "estimates":
        return finance.estimate_figures(t["estimates"], period)
    if name == "savings":
        return finance.savings_figures(t["savings"], t["periods"], period)
    if name == "onboarding":
        return onboarding.onboarding_figures(t["bodies"], period)
    if name == "recommendations":
        track = recommendations.tracker(t["recommendations"], t["recommendation_status"], t["periods"], period)
        return recommendations.recommendation_figures(track)
    if name == "service":
        return service.service_figures(pack.transactions, period)
    raise KeyError(name)


class Figures(Mapping):
    """The key figures of metrics.json, each group computed when first asked for.

    Asking for a group records the inputs it is computed from (in every process that asks:
    a kernel forked from a server that computed it still logs its own reads), so a section
    that shows onboarding figures depends on the bodies, not on the costs."""

    NAMES = (
        "programme_id",
        "period_id",
        "period_label",
        "costs",
        "estimates",
        "savings",
        "onboarding",
        "recommendations",
        "service",
    )

    def __init__(self, pack: PackView, period: P.Period):
        self._pack, self._period = pack, period
        self._values: dict = {}
        self._reads: dict[str, frozenset[str]] = {}

    def __getitem__(self, name: str):
        if name not in self.NAMES:
            raise KeyError(name)
        if name not in self._reads:
            with reads.capture() as names:
                self._values[name] = _figure(self._pack, self._period, name)
            self._reads[name] = frozenset(names)
        for each in sorted(self._reads[name]):
            reads.record(each)
        return self._values[name]

    def __iter__(self):
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)


class Context:
    """A period's pack (as a recording view), period, previous period and key figures (made when asked)."""

    def __init__(self, pack: Pack, period: P.Period, previous: P.Period | None):
        self.raw_pack = pack
        self.pack = PackView(pack)
        self._period = period
        self._previous = previous
        self._figures = Figures(self.pack, period)
        # The figures shown, with their inputs (report.register); it reads the pack through the same
        # recording view, so what it reads for a figure's inputs is a dependency too.
        self.register = Register(self.pack, period)

    @property
    def period(self) -> P.Period:
        reads.record("periods")  # the period's dates and label come from the periods table
        return self._period

    @property
    def previous(self) -> P.Period | None:
        reads.record("periods")
        return self._previous

    @property
    def tables(self) -> Mapping:
        return self.pack.tables

    @property
    def thresholds(self) -> dict:
        return self.pack.programme["thresholds"]

    @property
    def figures(self) -> Figures:
        """The period's key figures; reading a group records the inputs it is computed from."""
        return self._figures


def load_context(data_dir: str | Path | None = None, period_id: str | None = None) -> Context:
    """The context for one period (the pack's latest when ``period_id`` is ``None``)."""
    with reads.internal():
        pack = load_pack_cached(data_dir)
        period = P.period_of(pack.tables["periods"], period_id)
        previous = P.previous_period(pack.tables["periods"], period)
    reads.watch_folder(pack.directory)
    reads.record("periods")  # the period and the previous one come from the periods table
    return Context(pack, period, previous)
