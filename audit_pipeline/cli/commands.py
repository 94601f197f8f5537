"""validate, run and list: checking a pack, making reports, seeing what is published."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from audit_pipeline.cli.group import cli
from audit_pipeline.cli.options import (
    _report_pack_errors,
    check_data_folder,
    check_out_folder,
    data_option,
    out_option,
    text_or_json_option,
)
from audit_pipeline.errors import ERROR, UsageError


@cli.command()
@data_option
@text_or_json_option
def validate(data_dir: Path, fmt: str) -> None:
    """Check a data pack against the data contract and list every finding by file.

    Exits 0 when the pack is valid (warnings may remain) and 2 when it has errors.
    """
    from audit_pipeline.pack.findings import findings_as_text
    from audit_pipeline.pack.load import validate_pack

    pack, findings = validate_pack(data_dir)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"data": str(data_dir), "valid": pack is not None, "findings": [f.to_dict() for f in findings]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(findings_as_text(data_dir, findings))
    if any(f.severity == ERROR for f in findings):
        sys.exit(2)


@cli.command()
@data_option
@click.option(
    "--period",
    "period_ids",
    multiple=True,
    metavar="ID",
    help="A period to run (repeatable). Default: the pack's latest.",
)
@click.option("--all", "all_periods", is_flag=True, help="Run every period of the pack.")
@out_option
@click.option("--format", "formats", default="html,pdf", show_default=True, help="Comma-separated: html, pdf.")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="Notebooks run at once. Default: the number of cores."
)
@click.option("--force", is_flag=True, help="Rerun everything, even what is unchanged.")
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Seconds a notebook cell may run before it is stopped.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="Where notebooks run: local kernels, or the workers of a Dask cluster (with --scheduler). "
    "Default: dask when --scheduler is given, else local.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="The Dask scheduler for --executor dask, e.g. tcp://127.0.0.1:8786.",
)
@click.option(
    "--notebooks",
    "notebook_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of section notebooks (default: notebooks/), e.g. to try a new section.",
)
def run(
    data_dir: Path,
    period_ids: tuple[str, ...],
    all_periods: bool,
    out_dir: Path,
    formats: str,
    jobs: int | None,
    force: bool,
    timeout: int,
    executor: str | None,
    scheduler: str | None,
    notebook_dir: Path | None,
) -> None:
    """Validate the pack, execute the section notebooks for each period, render and publish the reports.

    A period's folder is published whole or not at all: a failed or interrupted
    run leaves the previous good folder as it was.
    """
    import os

    from audit_pipeline.errors import DataPackError
    from audit_pipeline.run.forkserver import start_fork_server

    start_fork_server()  # kernels' imports begin now, beside ours (stopped if nothing needs running)
    from audit_pipeline.run.runner import RunOptions
    from audit_pipeline.run.runner import run as run_periods

    if all_periods and period_ids:
        raise UsageError("use either --period or --all, not both")
    check_data_folder(data_dir)
    check_out_folder(out_dir)
    options = RunOptions(
        data_dir=data_dir,
        out_dir=out_dir,
        period_ids=list(period_ids),
        all_periods=all_periods,
        formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
        jobs=jobs or os.cpu_count() or 1,
        force=force,
        timeout=timeout,
        executor=executor or ("dask" if scheduler else "local"),
        scheduler=scheduler,
    )
    if notebook_dir is not None:
        options.notebook_dir = notebook_dir.resolve()
    try:
        published = run_periods(options)
    except DataPackError as exc:
        _report_pack_errors(exc)
        sys.exit(2)
    for folder in options.requested:
        state = "Published" if folder in published else "Up to date"
        click.echo(f"{state}: {folder / 'report.html'}")
        if (folder / "report.pdf").exists():
            click.echo(f"{state}: {folder / 'report.pdf'}")
    if not published and force:
        click.echo("Rebuilt: every period asked for came out byte for byte as published, so nothing was published.")
    elif not published:
        click.echo("Nothing to rebuild: every period asked for is up to date (use --force to rebuild).")


@cli.command(name="list")
@data_option
@out_option
@text_or_json_option
@click.option("--history", "show_history", is_flag=True, help="Also show each period's versions and when published.")
def list_periods(data_dir: Path, out_dir: Path, fmt: str, show_history: bool) -> None:
    """Show each period of the pack as fresh, stale (with the reason) or missing in the output folder,
    with its sign-off status (Draft or Cleared)."""
    from audit_pipeline.errors import DataPackError
    from audit_pipeline.run.runner import status

    check_data_folder(data_dir)
    try:
        rows = status(data_dir, out_dir)
        _add_signoff_status(rows, data_dir, out_dir, show_history)
    except DataPackError as exc:
        _report_pack_errors(exc)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['period_id']:<14} {row['label']:<14} {row['state']:<8} {row['status'] or ''}".rstrip())
        for reason in row["reasons"]:
            click.echo(f"{'':<30}- {reason}")
        for version in row.get("versions", []):
            mark = "current   " if version["current"] else "superseded"
            click.echo(f"{'':<4}{version['version']}  {mark}  published {version['published']}  {version['status']}")


def _add_signoff_status(rows: list[dict], data_dir: Path, out_dir: Path, with_history: bool) -> None:
    """Each row's sign-off status (None when unpublished) and, with ``with_history``, its versions."""
    from audit_pipeline.pack.cache import load_pack_cached
    from audit_pipeline.run import history, signoff

    programme_dir = out_dir.resolve() / load_pack_cached(data_dir).programme["programme_id"]
    for row in rows:
        folder = programme_dir / row["period_id"]
        row["status"] = signoff.status(folder) if (folder / "manifest.json").exists() else None
        if with_history:
            row["versions"] = history.versions(programme_dir, row["period_id"])
