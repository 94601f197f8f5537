"""Progress of a run: which period, which notebook, how far.

On a terminal, a live ``rich`` display (one bar per period, units done of
units, elapsed time, and a bar for the whole run); otherwise plain log lines
on standard error, one per event, each starting with how far the run is::

    [3/18 4.2s] A: executed 02_costs_savings.ipynb
"""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    """Counts units as they finish and reports each, live on a terminal or as log lines."""

    def __init__(self, periods: list[str], units: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = len(periods) * units
        self.finished = 0
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.live = None
        self.tasks: dict[str, int] = {}
        if periods and _isatty(self.stream):
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.live = RichProgress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(),
                console=Console(file=self.stream, log_path=False),
                transient=False,
            )
            self.tasks = {p: self.live.add_task(p, total=units, state="waiting") for p in periods}
            self.overall = self.live.add_task("all notebooks", total=self.total, state="")
            self.live.start()

    def _say(self, text: str) -> None:
        if self.live:
            self.live.console.log(text)
        else:
            line = f"[{self.finished}/{self.total} {time.monotonic() - self.start:.1f}s] {text}"
            print(line, file=self.stream, flush=True)

    def _state(self, period_id: str, state: str, advance: int = 0) -> None:
        if self.live and period_id in self.tasks:
            self.live.update(self.tasks[period_id], advance=advance, state=state)

    def step(self, period_id: str, notebook: str, reused: bool = False) -> None:
        """A unit is done: executed, or reused from the unit cache."""
        with self.lock:
            self.finished += 1
            if self.live:
                self._state(period_id, f"{'reused' if reused else 'ran'} {notebook}", advance=1)
                self.live.advance(self.overall)
            self._say(f"{period_id}: {'reused' if reused else 'executed'} {notebook}")

    def note(self, text: str) -> None:
        with self.lock:
            if self.live and ": rendering" in text:
                self._state(text.split(":", 1)[0], "rendering")
            self._say(text)

    def published(self, period_id: str) -> None:
        with self.lock:
            self._state(period_id, "published")
            self._say(f"{period_id}: published")

    def done(self) -> None:
        with self.lock:
            if self.live:
                self.live.stop()
                self.live = None
            self._say(f"done in {time.monotonic() - self.start:.1f}s")


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
