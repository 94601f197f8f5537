"""The command line: parses, delegates to the package, maps errors to exit codes.

Exit status: 0 success; 1 a notebook failed while executing, or the machine
failed us (a read-only or full disk, memory exhausted); 2 bad usage or an
invalid data pack. Neither a user's mistake nor the machine's ends in a Python
traceback: ``--debug`` (before the command) shows one.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import traceback
from typing import NoReturn

import click

from audit_pipeline.cli import commands, review  # noqa: F401  (registers the commands on the group)
from audit_pipeline.cli.group import _debug, cli
from audit_pipeline.errors import PipelineError, printable

__all__ = ["cli", "entry", "main"]


def entry() -> NoReturn:
    """The process's way out: run the command line, flush what it wrote, and end the process.

    The process ends with ``os._exit`` once the command has finished and every file it opened
    is closed: the native thread pools of pyarrow and DuckDB can abort ("terminate called
    without an active exception", SIGABRT) while the interpreter tears them down, after all
    the work is done (apache/arrow#34314). A finished, correct run must not exit -6.
    """
    code = main()
    if sys.gettrace() is not None or sys.getprofile() is not None:  # coverage, cProfile: they write at exit
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach the reader
            code = code or 1
    os._exit(code)


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
