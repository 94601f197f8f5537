"""Progress: a live display on a terminal, plain log lines otherwise."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess

import pytest
from pipeline_runs import (
    NOTEBOOKS,
    cli,
    code_snapshot,
    command,
    copy_pack,
    environment,
    every_unit,
    run_args,
    units_logged,
)

from audit_pipeline.run.progress import Progress

LINE = re.compile(r"^\[(\d+)/(\d+) (\d+\.\d)s\] (.+)$")


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("progress")
    return base, code_snapshot(base / "code"), copy_pack(base / "pack")


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(periods=["A", "B"], units=2, stream=stream)
    progress.note("A: to build: not published")
    progress.step("A", "01_summary.ipynb")
    progress.step("A", "02_costs_savings.ipynb", reused=True)
    progress.note("A: rendering html")
    progress.published("A")
    progress.done()
    lines = stream.getvalue().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [m[4] for m in parsed] == [
        "A: to build: not published",
        "A: executed 01_summary.ipynb",
        "A: reused 02_costs_savings.ipynb",
        "A: rendering html",
        "A: published",
        parsed[-1][4],
    ]
    assert parsed[-1][4].startswith("done in ")
    assert [(m[1], m[2]) for m in parsed] == [("0", "4"), ("1", "4"), ("2", "4"), ("2", "4"), ("2", "4"), ("2", "4")]
    assert "\x1b[" not in stream.getvalue()  # no terminal control codes in a log


def test_live_display_on_a_terminal():
    stream = FakeTerminal()
    progress = Progress(periods=["A", "B"], units=2, stream=stream)
    assert progress.live is not None
    progress.step("A", "01_summary.ipynb")
    progress.step("A", "02_costs_savings.ipynb", reused=True)
    progress.note("A: rendering html")
    progress.published("A")
    progress.step("B", "01_summary.ipynb")
    progress.note("something else")
    progress.done()
    text = stream.getvalue()
    assert "\x1b[" in text  # drawn with terminal control codes
    for words in ("A: executed 01_summary.ipynb", "A: published", "all notebooks", "3/4"):
        assert words in text, words
    assert progress.live is None


def test_no_live_display_when_there_is_nothing_to_run():
    stream = FakeTerminal()
    progress = Progress(periods=[], units=6, stream=stream)
    assert progress.live is None
    progress.note("A: up to date")
    progress.done()
    assert "A: up to date" in stream.getvalue()


def test_a_run_logs_plain_lines_to_standard_error(site):
    base, code, pack = site
    result = cli(code, *run_args(pack, base / "out-plain", "--period", "A"))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert units_logged(result.stderr, "executed") == every_unit(["A"])
    counts = [int(LINE.match(line)[1]) for line in lines]
    assert counts == sorted(counts) and counts[-1] == len(NOTEBOOKS)  # how far, never backwards
    assert {int(LINE.match(line)[2]) for line in lines} == {len(NOTEBOOKS)}
    assert [line.split("] ", 1)[1] for line in lines[-3:-1]] == ["A: rendering html", "A: published"]
    assert result.stdout.strip() == f"Published: {base / 'out-plain' / 'hand' / 'A' / 'report.html'}"


def test_a_run_on_a_terminal_shows_a_live_display(site):
    """The command on a pseudo-terminal: live bars per period, then the published report."""
    base, code, pack = site
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command(code, *run_args(pack, base / "out-live", "--period", "B")),
        cwd=code,
        env=environment(code, COLUMNS="120", TERM="xterm"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            process.kill()
            pytest.fail("no output for 120 s")
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the other end closed: the run has finished
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert "\x1b[" in text
    assert "all notebooks" in text and "6/6" in text
    assert "B: published" in text
    assert "Published" in text and "report.html" in text
