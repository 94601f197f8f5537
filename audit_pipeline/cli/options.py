"""Options and checks shared by the commands."""

from __future__ import annotations

from pathlib import Path

import click

from audit_pipeline.errors import UsageError, printable
from audit_pipeline.settings import DEFAULT_DATA, DEFAULT_OUT

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATA,
    show_default="data/ngss",
    help="The data pack folder.",
)


text_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines.",
)


def check_data_folder(data_dir: Path) -> None:
    """``UsageError`` unless ``data_dir`` is an existing folder."""
    if not data_dir.exists():
        raise UsageError(f"--data {printable(str(data_dir))}: no such folder")
    if not data_dir.is_dir():
        raise UsageError(f"--data {printable(str(data_dir))}: is a file, not a data pack folder")


def check_out_folder(out_dir: Path) -> None:
    """``UsageError`` when ``out_dir`` (or the nearest existing folder above it) is not a folder."""
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--out {printable(str(out_dir))}: {printable(str(existing))} is a file, not a folder")


out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default="reports",
    help="Where reports are published: <out>/<programme_id>/<period_id>/.",
)


def _report_pack_errors(exc) -> None:
    from audit_pipeline.pack.findings import findings_as_text

    click.echo(findings_as_text(Path(exc.directory), exc.findings), err=True)
    click.echo("Nothing was run: correct the data pack and run again.", err=True)
