"""Findings as text for people: grouped by file, errors first, one line each."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from audit_pipeline.errors import ERROR, Finding, printable


def findings_as_text(directory: Path, findings: list[Finding]) -> str:
    """A readable report of the findings, grouped by file, ending in a one-line verdict."""
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    lines = []
    for file, group in groupby(findings, key=lambda f: f.file):
        lines.append(printable(file))
        for f in group:
            where = ", ".join(
                p
                for p in (f"line {f.line}" if f.line else "", f"column {printable(f.column)}" if f.column else "")
                if p
            )
            value = "" if f.value is None else f": value {printable(repr(f.value))}"
            lines.append(f"  {f.severity.upper():7} {where + ': ' if where else ''}{printable(f.rule)}{value}")
    verdict = "INVALID" if errors else "valid"
    lines.append(f"Data pack {printable(str(directory))}: {verdict} ({errors} error(s), {warnings} warning(s)).")
    return "\n".join(lines)
