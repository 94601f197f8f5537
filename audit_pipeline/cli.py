"""The command line: parses, delegates to the package, maps errors to exit codes.

Exit status: 0 success; 1 a notebook failed while executing; 2 bad usage or
an invalid data pack. A user's mistake never ends in a Python traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from audit_pipeline.errors import ERROR, PipelineError
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Audit report pipeline: validate a data pack, render period reports, list what is published."""


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

    from audit_pipeline.errors import DataPackError, UsageError
    from audit_pipeline.run.execute import start_fork_server

    start_fork_server()  # kernels' imports begin now, beside ours (stopped if nothing needs running)
    from audit_pipeline.run.runner import RunOptions
    from audit_pipeline.run.runner import run as run_periods

    if all_periods and period_ids:
        raise UsageError("use either --period or --all, not both")
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
    if not published:
        click.echo("Nothing to rebuild: every period asked for is up to date (use --force to rebuild).")


@cli.command(name="list")
@data_option
@out_option
@text_or_json_option
def list_periods(data_dir: Path, out_dir: Path, fmt: str) -> None:
    """Show each period of the pack as fresh, stale (with the reason) or missing in the output folder."""
    from audit_pipeline.errors import DataPackError
    from audit_pipeline.run.runner import status

    try:
        rows = status(data_dir, out_dir)
    except DataPackError as exc:
        _report_pack_errors(exc)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['period_id']:<14} {row['label']:<14} {row['state']}")
        for reason in row["reasons"]:
            click.echo(f"{'':<30}- {reason}")


@cli.command()
@out_option
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
def prune(out_dir: Path, dry_run: bool) -> None:
    """Remove cache entries no published period needs, beyond the size caps (see README, "Caches")."""
    from audit_pipeline.run.prune import describe, size_text
    from audit_pipeline.run.prune import prune as prune_caches

    removals = prune_caches(out_dir, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for path, size, why in removals:
        click.echo(f"{verb} {describe(path)} ({size_text(size)}, {why})")
    total = size_text(sum(size for _, size, _ in removals))
    click.echo(
        f"{'Would free' if dry_run else 'Freed'} {total} in {len(removals)} entries."
        if removals
        else "Nothing to prune."
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        cli.main(args=argv, prog_name="pipeline.py", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except PipelineError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0
