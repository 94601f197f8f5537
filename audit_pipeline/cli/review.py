"""What reviewers and auditors use after a run: verify (and verify --figures), signoff, figures, diff, prune."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from audit_pipeline.cli.group import cli
from audit_pipeline.cli.options import out_option, text_or_json_option
from audit_pipeline.errors import UsageError, printable


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
@click.option(
    "--figures",
    "figures_only",
    is_flag=True,
    help="The figure-check: re-derive every registered figure from its listed pack rows (nothing is run).",
)
def verify(
    period_dir: Path | None,
    all_periods: bool,
    out_dir: Path,
    data_dir: Path | None,
    notebook_dir: Path | None,
    jobs: int | None,
    figures_only: bool,
) -> None:
    """Re-execute a published period from its manifest and compare every file byte for byte.

    With --figures, the figure-check instead: every figure of figures.json re-derived from the
    pack rows it lists, by a simple path of its own, and compared with figures.json and
    metrics.json. Exits 0 when every file is reproduced (every figure matches), 1 when not
    (or when the pack changed since publication: nothing is run then), 2 on bad usage. Never
    writes to the published folder.
    """
    from audit_pipeline.run import verify as checks
    from audit_pipeline.settings import NOTEBOOK_DIR

    if all_periods == (period_dir is not None):
        raise UsageError("give either PERIOD_DIR or --all")
    if figures_only:
        if notebook_dir is not None or jobs is not None:
            raise UsageError("--notebooks and --jobs re-execute a period; verify --figures runs nothing")
        folders = checks.period_folders(out_dir) if all_periods else [period_dir]
        sys.exit(0 if _figure_check(folders, data_dir) else 1)
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


def _figure_check(folders: list[Path], data_dir: Path | None) -> bool:
    """The figure-check of each period folder, printed; ``True`` when no figure mismatches."""
    from audit_pipeline.run.figurecheck import check_period, report_lines

    for folder in folders:
        if not (folder / "figures.json").is_file():
            raise UsageError(f"{printable(str(folder))}: no figures.json here (give a published period folder)")
    failed = []
    for folder in folders:
        if len(folders) > 1:
            click.echo(f"figure-check: {printable(str(folder))}")
        result = check_period(folder, data_dir)
        for line in report_lines(result):
            click.echo(line)
        if not result.ok:
            failed.append(folder)
    if len(folders) > 1:
        click.echo(f"{len(folders) - len(failed)} of {len(folders)} periods checked out")
        for folder in failed:
            click.echo(f"  mismatches in: {printable(str(folder))}")
    return not failed


@cli.command(name="figure-check", hidden=True)
@click.argument("period_dir", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The data pack (default: the one in manifest.json).",
)
def figure_check(period_dir: Path, data_dir: Path | None) -> None:
    """The older name of `verify --figures PERIOD_DIR`: the figure-check of one period; exit 1 on any mismatch."""
    sys.exit(0 if _figure_check([period_dir], data_dir) else 1)


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
