"""The README cannot drift from the command line: every command and option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from audit_pipeline.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make report", "make test"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(name):
    command = cli.commands[name]
    assert command.help and len(command.help) > 20
    assert f"python pipeline.py {name}" in README


@pytest.mark.parametrize(
    ("name", "option"),
    [
        (n, o)
        for n in COMMANDS
        for p in cli.commands[n].params
        if isinstance(p, click.Option)
        for o in p.opts
        if o.startswith("--")
    ],
)
def test_every_option_is_in_the_readme(name, option):
    assert re.search(rf"{re.escape(option)}\b", README), f"{name} {option} is not documented in README.md"


def test_every_option_has_help():
    for name in COMMANDS:
        for param in cli.commands[name].params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"
