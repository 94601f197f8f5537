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


@cli.command()
@click.argument("period_dir", required=False, type=click.Path(path_type=Path))
@click.option("--all", "all_periods", is_flag=True, help="Verify every published period under --out.")
@out_option
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The data pack, when it is no longer where the manifest says (e.g. the report folder was copied).",
)
@click.option(
    "--notebooks",
    "notebook_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of section notebooks (default: notebooks/).",
)
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Notebooks run at once (default: cores).")
def verify(
    period_dir: Path | None,
    all_periods: bool,
    out_dir: Path,
    data_dir: Path | None,
    notebook_dir: Path | None,
    jobs: int | None,
) -> None:
    """Re-execute a published period from its manifest and compare every file byte for byte.

    Exits 0 when every file is reproduced, 1 when not (or when the pack changed since
    publication: nothing is run then), 2 on bad usage. Never writes to the published folder.
    """
    from audit_pipeline.errors import UsageError
    from audit_pipeline.run import verify as checks
    from audit_pipeline.settings import NOTEBOOK_DIR

    if all_periods == (period_dir is not None):
        raise UsageError("give either PERIOD_DIR or --all")
    options = {
        "data_dir": data_dir,
        "notebook_dir": (notebook_dir or NOTEBOOK_DIR).resolve(),
        "jobs": jobs,
        "say": click.echo,
    }
    ok = checks.verify_all(out_dir, **options) if all_periods else checks.verify_period(period_dir, **options)
    sys.exit(0 if ok else 1)


@cli.command()
@click.argument("period_dir", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="Who signs (as it should appear in the audit trail).")
@click.option("--role", required=True, type=click.Choice(["preparer", "reviewer", "approver"]), help="In what role.")
@click.option("--note", default=None, help="A note kept with the record.")
def signoff(period_dir: Path, name: str, role: str, note: str | None) -> None:
    """Record a sign-off of a published period's current bytes in its signoff.json.

    The record holds the SHA-256 of report.html, report.pdf and metrics.json: the period is
    Cleared once an approver has signed its current bytes. An audit trail, not a
    cryptographic signature.
    """
    from audit_pipeline.run import signoff as trail

    record = trail.sign(period_dir, name, role, note)
    folder = period_dir.resolve()
    _refresh_index(folder.parent)
    click.echo(f"Signed as {role} by {record['name']} at {record['time']}: {folder}")
    for file, digest in record["sha256"].items():
        click.echo(f"  {file}: {digest or 'absent'}")
    click.echo(f"Status: {trail.status(folder)}")


def _refresh_index(programme_dir: Path) -> None:
    """Rewrite a programme's index (it shows each period's status), in the pack's order when it can be read."""
    from audit_pipeline.run import history
    from audit_pipeline.run.index import write_index

    order, name = None, None
    periods = [p for p in programme_dir.iterdir() if history.is_period_folder(p)]
    try:
        from audit_pipeline.measures import periods as P
        from audit_pipeline.pack.cache import load_pack_cached

        manifest = json.loads((periods[0] / "manifest.json").read_text(encoding="utf-8"))
        pack = load_pack_cached(manifest["inputs"]["data_dir"])
        order = [p.period_id for p in P.all_periods(pack.tables["periods"])]
        name = pack.programme["name"]
    except Exception:  # the pack moved or changed: periods by id, the programme by its id
        pass
    write_index(programme_dir, order, name)


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
