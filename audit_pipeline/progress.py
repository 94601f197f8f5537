"""Progress of a run: which period, which notebook, how far.

On a terminal, a live ``rich`` display (one bar per period, units done of
units, elapsed time); otherwise, plain log lines on standard error.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """Counts units as they finish and reports each, live on a terminal or as log lines."""

    def __init__(self, periods: list[str], units: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = len(periods) * units
        self.finished = 0
        self.start = time.monotonic()
        self.live = None
        if self.stream.isatty() and periods:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self.live = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self.tasks = {p: self.live.add_task(f"{p}", total=units) for p in periods}
            self.overall = self.live.add_task("all units", total=self.total)
            self.live.start()

    def _say(self, text: str) -> None:
        line = f"[{self.finished}/{self.total} {time.monotonic() - self.start:5.1f}s] {text}"
        if self.live:
            self.live.console.log(text)
        else:
            print(line, file=self.stream, flush=True)

    def step(self, period_id: str, notebook: str, reused: bool = False) -> None:
        self.finished += 1
        if self.live:
            self.live.advance(self.tasks[period_id])
            self.live.advance(self.overall)
        self._say(f"{period_id}: {'reused' if reused else 'executed'} {notebook}")

    def note(self, text: str) -> None:
        self._say(text)

    def published(self, period_id: str) -> None:
        self._say(f"{period_id}: published")

    def done(self) -> None:
        if self.live:
            self.live.stop()
        self._say("done")
