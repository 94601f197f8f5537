"""The command group: ``--debug`` and the commands registered on it."""

from __future__ import annotations

import click

_debug = {"on": False}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error (for reporting a fault).")
def cli(debug: bool) -> None:
    """Audit report pipeline: validate a data pack, render period reports, list what is published."""
    _debug["on"] = debug
