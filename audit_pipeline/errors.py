"""Exceptions and validation findings.

One root exception, ``PipelineError``; each subclass keeps what a person needs
to find and fix the fault (file, line, column and value; or notebook, cell,
period and exception).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"

# Control characters (C0 but tab and newline, DEL, C1), bidirectional controls and the report's own
# figure marks (U+E000 to U+E002): shown as escapes in anything printed to a terminal, so a file or
# header name cannot move the cursor or reorder text.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ue000-\ue002]")


def printable(text: str) -> str:
    """``text`` with control and bidirectional characters shown as ``\\xNN`` / ``\\uNNNN`` escapes."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


@dataclass(frozen=True)
class Finding:
    """One thing wrong (error) or worth knowing (warning) about a data pack.

    ``line`` counts as a person would in that file: the header is line 1 in a
    CSV, and an XLSX row is the worksheet's row number. ``None`` means the
    finding is about the whole file or column.
    """

    severity: str
    file: str
    rule: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def location(self) -> str:
        """Return ``file, line N, column C`` as far as it is known."""
        parts = [printable(self.file)]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {printable(self.column)}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = "" if self.value is None else f" (value {printable(repr(self.value))})"
        return f"{self.severity}: {self.location()}: {printable(self.rule)}{value}"

    def to_dict(self) -> dict:
        return asdict(self)


class PipelineError(Exception):
    """Root of every error the pipeline raises on purpose."""

    exit_code = 2


class UsageError(PipelineError):
    """A command was given arguments that cannot work (exit status 2)."""


class DataPackError(PipelineError):
    """The data pack is invalid; ``findings`` lists every error and warning."""

    def __init__(self, directory: str, findings: list[Finding]):
        self.directory = directory
        self.findings = findings
        errors = [f for f in findings if f.severity == ERROR]
        super().__init__(f"data pack {directory} has {len(errors)} error(s); first: {errors[0] if errors else '-'}")


class NotebookExecutionError(PipelineError):
    """A section notebook failed while executing (exit status 1)."""

    exit_code = 1

    def __init__(
        self,
        period_id: str,
        notebook: str,
        cell_index: int | None,
        ename: str,
        evalue: str,
        saved_at: str,
        execution_count: int | None = None,
    ):
        self.period_id = period_id
        self.notebook = notebook
        self.cell_index = cell_index  # in the kept notebook, counting from 0 as nbformat does
        self.ename = ename
        self.evalue = evalue
        self.saved_at = saved_at
        self.execution_count = execution_count  # the cell's In [n], when it ran
        cell = f"cell {cell_index}" if cell_index is not None else "an unknown cell"
        if execution_count is not None:
            cell += f" (In [{execution_count}])"
        super().__init__(
            f"period {period_id}: notebook {notebook} failed in {cell}: {ename}: {evalue}\n"
            f"The executed notebook, with the error, is kept at {saved_at}"
        )
