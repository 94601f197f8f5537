"""Where units run: local threads (each driving its own kernel) or a Dask distributed cluster.

Both take the same unit function, ``run_unit``, which receives the notebook's
bytes and returns the executed notebook's bytes (or the failed one and the
error), so a remote worker needs only the package and read access to the
data pack at the same path; the submitting process publishes the results.
"""

from __future__ import annotations

import concurrent.futures as cf
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class UnitResult:
    """What a unit returns: the executed notebook, and the error when a cell failed."""

    notebook: bytes
    error: dict | None = None
    reads: list[str] | None = None  # what the kernel read through its context (None: it never loaded one)


def run_unit(name: str, source: bytes, parameters: dict, period_id: str, timeout: int) -> UnitResult:
    """Execute one notebook (given as bytes) in a fresh kernel, in a scratch folder of its own.

    The kernel's working folder is ``<scratch>/work``, so whatever a notebook writes there stays
    apart from every other unit running at the same time, and is removed with the folder."""
    from audit_pipeline.errors import NotebookExecutionError
    from audit_pipeline.report import reads
    from audit_pipeline.run.execute import execute
    from audit_pipeline.run.forkserver import temporary_folder

    scratch = Path(temporary_folder("unit"))
    try:
        notebook = scratch / "in" / name
        output = scratch / "out" / name
        for folder in (notebook.parent, scratch / "work"):
            folder.mkdir()
        notebook.write_bytes(source)
        reads.prepare(scratch / "work")
        try:
            execute(notebook, output, parameters, period_id, timeout, cwd=scratch / "work")
        except NotebookExecutionError as exc:
            failed = output.read_bytes() if output.exists() else source
            error = {"cell_index": exc.cell_index, "execution_count": exc.execution_count}
            return UnitResult(failed, {**error, "ename": exc.ename, "evalue": exc.evalue})
        return UnitResult(output.read_bytes(), reads=reads.collected(scratch / "work"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class LocalExecutor:
    """Up to ``jobs`` units at once, each a thread driving its own kernel process."""

    def __init__(self, jobs: int):
        self.pool = cf.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="unit")

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def as_completed(self, futures):
        return cf.as_completed(futures)

    def cancel(self, futures) -> None:
        for future in futures:
            future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _greet_scheduler(address: str, seconds: float) -> None:
    """Check within ``seconds`` that a Dask scheduler answers at ``address``: ``OSError`` saying why
    not (nothing listens there, or what answers does not speak Dask's protocol). Done before a
    ``Client`` exists, so that a failure leaves no half-made client to time out again at exit."""
    import asyncio
    import socket
    import sys

    from distributed.comm import parse_address, registry
    from distributed.comm.addressing import get_address_host_port

    host, port = get_address_host_port(address)
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise OSError(f"nothing answers there ({exc.strerror or exc})") from None

    async def greet() -> None:  # one attempt at Dask's handshake (``distributed.comm.connect`` retries)
        scheme, location = parse_address(address)
        comm = await registry.get_backend(scheme).get_connector().connect(location, deserialize=True)
        try:
            await comm.write({"compression": None, "python": tuple(sys.version_info)[:3], "pickle-protocol": 5})
            await comm.read()
        finally:
            comm.abort()

    try:
        asyncio.run(asyncio.wait_for(greet(), seconds))
    except Exception as exc:  # noqa: BLE001  (garbage can fail in any way: closed, undecodable, too large)
        raise OSError(f"what answers there is not a Dask scheduler (no Dask handshake within {seconds:g} s)") from exc


class DaskExecutor:
    """Units sent to a Dask distributed scheduler (``tcp://host:8786``) or a given ``Client``.

    Each worker runs ``run_unit``; what it returns comes back to the submitting process, which
    alone writes the unit cache and publishes. Workers need the package and the data pack at
    the same path as the submitter."""

    def __init__(self, scheduler: str | None = None, client=None):
        import dask
        from distributed import Client

        self.own_client = client is None
        if client is None:
            from dask.utils import parse_timedelta

            from audit_pipeline.errors import UsageError

            timeout = min(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", "30s")), 3)
            try:  # a greeting first, so that an address that is not a Dask scheduler fails fast and quietly
                _greet_scheduler(scheduler, timeout)
                client = Client(scheduler, timeout=timeout, set_as_default=False)
            except Exception as exc:  # noqa: BLE001  (anything the address answers is a reason to stop, in one line)
                reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from None
        self.client = client

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(list(futures))

    def cancel(self, futures) -> None:
        futures = list(futures)
        if futures:
            self.client.cancel(futures)

    def close(self) -> None:
        if self.own_client:
            self.client.close()


def make_executor(kind: str, jobs: int, scheduler: str | None):
    """The executor the command line asked for."""
    if kind == "dask":
        if not scheduler:
            from audit_pipeline.errors import UsageError

            raise UsageError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
        return DaskExecutor(scheduler)
    return LocalExecutor(jobs)
