"""Shared fixtures: build packs in a temporary folder and look for findings in what the validator says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
for path in (str(ROOT), str(TESTS)):
    if path not in sys.path:
        sys.path.insert(0, path)

from packbuilder import write_pack  # noqa: E402

from audit_pipeline.errors import ERROR, WARNING, Finding  # noqa: E402
from audit_pipeline.pack.load import validate_pack  # noqa: E402


def errors_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def warnings_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == WARNING]


def only_error(findings: list[Finding]) -> Finding:
    """The one error among ``findings`` (fails, listing them, if there is not exactly one)."""
    errors = errors_of(findings)
    assert len(errors) == 1, "expected exactly one error, got:\n" + "\n".join(map(str, errors or findings))
    return errors[0]


def assert_finding(
    finding: Finding,
    *,
    file: str,
    line: int | None,
    column: str | None,
    value: str | None = ...,
    rule: str = "",
    severity: str = ERROR,
) -> None:
    """The finding is exactly at ``file``, ``line``, ``column`` (and ``value``), its rule mentioning ``rule``."""
    assert (finding.severity, finding.file, finding.line, finding.column) == (severity, file, line, column), str(
        finding
    )
    if value is not ...:
        assert finding.value == value, str(finding)
    assert rule.lower() in finding.rule.lower(), str(finding)


def assert_errors(findings: list[Finding], expected: list[tuple]) -> None:
    """The errors are exactly ``expected``: ``(file, line, column, value, words of the rule)`` each, in any order."""
    errors = errors_of(findings)
    got = sorted(((f.file, f.line or 0, f.column or "", f.value) for f in errors), key=str)
    want = sorted(((e[0], e[1] or 0, e[2] or "", e[3]) for e in expected), key=str)
    assert got == want, "errors were:\n" + "\n".join(map(str, errors))
    for file, line, column, _, rule in expected:
        match = next(f for f in errors if (f.file, f.line or 0, f.column or "") == (file, line or 0, column or ""))
        assert rule.lower() in match.rule.lower(), str(match)


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """Where a test's pack is written."""
    return tmp_path / "pack"


@pytest.fixture
def check(pack_dir: Path):
    """``check(**write_pack_options)`` writes a pack and returns ``(pack, findings)`` from ``validate_pack``."""

    def run(**options):
        write_pack(pack_dir, **options)
        return validate_pack(pack_dir)

    return run


@pytest.fixture
def invalid(check):
    """``invalid(**options)``: the single error of a pack that must be invalid (asserts there is no pack)."""

    def run(**options) -> Finding:
        pack, findings = check(**options)
        assert pack is None, "the pack should be invalid"
        return only_error(findings)

    return run


@pytest.fixture
def valid(check):
    """``valid(**options)``: the pack, asserting it is valid with no errors; returns ``(pack, findings)``."""

    def run(**options):
        pack, findings = check(**options)
        assert errors_of(findings) == [], "\n".join(map(str, findings))
        assert pack is not None
        return pack, findings

    return run
