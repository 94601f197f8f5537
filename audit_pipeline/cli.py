"""The command line: parses, delegates to the package, maps errors to exit codes.

Exit status: 0 success; 1 a notebook failed while executing, or the machine
failed us (a read-only or full disk, memory exhausted); 2 bad usage or an
invalid data pack. Neither a user's mistake nor the machine's ends in a Python
traceback: ``--debug`` (before the command) shows one.
"""

from __future__ import annotations

import errno
import json
import sys
import traceback
from pathlib import Path

import click

from audit_pipeline.errors import ERROR, PipelineError, UsageError, printable
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


_debug = {"on": False}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error (for reporting a fault).")
def cli(debug: bool) -> None:
    """Audit report pipeline: validate a data pack, render period reports, list what is published."""
    _debug["on"] = debug


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

    check_data_folder(data_dir)
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


@cli.command(name="figure-check")
@click.argument("period_dir", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The data pack (default: the one in manifest.json).",
)
def figure_check(period_dir: Path, data_dir: Path | None) -> None:
    """Re-derive every figure of a published period from its listed rows; exit 1 on any mismatch."""
    from audit_pipeline.run.figurecheck import check_period, report_lines

    if not (period_dir / "figures.json").is_file():
        raise UsageError(f"{period_dir}: no figures.json here (give a published period folder)")
    result = check_period(period_dir, data_dir)
    for line in report_lines(result):
        click.echo(line)
    if not result.ok:
        sys.exit(1)


@cli.command(name="figures")
@click.argument("period_dir", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="text for people, json or csv for machines and spreadsheets.",
)
@click.option("--id", "pattern", metavar="GLOB", default=None, help="Only figures whose id matches, e.g. 'costs.*'.")
def figures(period_dir: Path, fmt: str, pattern: str | None) -> None:
    """Print the figure register of a published period folder (every number of its report)."""
    from audit_pipeline.run.figurediff import load_register, register_csv, register_json, register_text, select

    document = load_register(period_dir)
    entries = select(document["figures"], pattern)
    if pattern is not None and not entries:
        raise UsageError(f"--id {printable(pattern)}: no figure of {printable(str(period_dir))} matches")
    if fmt == "json":
        click.echo(register_json(document, entries))
    elif fmt == "csv":
        click.echo(register_csv(entries), nl=False)
    else:
        click.echo(register_text(document, entries))


@cli.command(name="diff")
@click.argument("old_dir", type=click.Path(path_type=Path))
@click.argument("new_dir", type=click.Path(path_type=Path))
@text_or_json_option
def diff(old_dir: Path, new_dir: Path, fmt: str) -> None:
    """Compare two figure registers (two periods, or a period and an earlier version of it).

    Lists each figure added, removed or changed, old and new display, and the input rows that
    differ. Exits 0 whether or not they differ.
    """
    from audit_pipeline.run.figurediff import diff_registers, diff_text, load_register

    result = diff_registers(load_register(old_dir), load_register(new_dir))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(diff_text(result, printable(str(old_dir)), printable(str(new_dir))))


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
        _show_traceback()
        click.echo(f"Error: {printable(str(exc))}", err=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except MemoryError:
        _show_traceback()
        click.echo(
            "Error: the machine ran out of memory; nothing was published. Free memory, or run fewer "
            "--jobs, and run again.",
            err=True,
        )
        return 1
    except OSError as exc:  # the environment: a read-only or full disk, a missing permission, ...
        _show_traceback()
        click.echo(f"Error: {_os_error(exc)}; nothing was published.", err=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - a fault of ours: say so in one line, trace with --debug
        _show_traceback()
        click.echo(
            f"Internal error: {type(exc).__name__}: {printable(str(exc))}. This is a fault of the pipeline, "
            "not of your data: run again with --debug and report the traceback.",
            err=True,
        )
        return 1
    return 0


def _show_traceback() -> None:
    if _debug["on"]:
        traceback.print_exc()


def _os_error(exc: OSError) -> str:
    """An ``OSError`` in words: what failed, on which file."""
    what = {
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EDQUOT: "the disk quota is exceeded",
    }.get(exc.errno, exc.strerror or str(exc))
    where = exc.filename if exc.filename is not None else ""
    return f"{what}" + (f": {printable(str(where))}" if where else "")
