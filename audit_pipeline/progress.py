"""Progress of a run: which period, which notebook, how far; plain log lines when not a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    """Counts units as they finish and reports each on standard error."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.finished = 0
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.tty = self.stream.isatty()

    def _say(self, text: str) -> None:
        elapsed = time.monotonic() - self.start
        print(f"[{self.finished}/{self.total} {elapsed:5.1f}s] {text}", file=self.stream, flush=True)

    def step(self, period_id: str, notebook: str) -> None:
        self.finished += 1
        self._say(f"{period_id}: executed {notebook}")

    def published(self, period_id: str) -> None:
        self._say(f"{period_id}: published")

    def done(self) -> None:
        self._say("done")
