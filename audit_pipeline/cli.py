"""The command line: parses, delegates to the package, maps errors to exit codes.

Exit status: 0 success; 1 a notebook failed while executing; 2 bad usage or
an invalid data pack. A user's mistake never ends in a Python traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import ERROR, PipelineError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data" / "ngss"
DEFAULT_OUT = ROOT / "reports"

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATA,
    show_default="data/ngss",
    help="The data pack folder.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Audit report pipeline: validate a data pack, render period reports, list what is published."""


@cli.command()
@data_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines.")
def validate(data_dir: Path, fmt: str) -> None:
    """Check a data pack against the data contract and list every finding by file.

    Exits 0 when the pack is valid (warnings may remain) and 2 when it has errors.
    """
    from .datapack import validate_pack
    from .findings_report import findings_as_text

    pack, findings = validate_pack(data_dir)
    if fmt == "json":
        click.echo(json.dumps({"data": str(data_dir), "valid": pack is not None,
                               "findings": [f.to_dict() for f in findings]}, indent=2, ensure_ascii=False))
    else:
        click.echo(findings_as_text(data_dir, findings))
    if any(f.severity == ERROR for f in findings):
        sys.exit(2)


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
