"""Execute section notebooks with Papermill, each in a fresh kernel.

Parameters are checked against each notebook's ``parameters`` cell before any
kernel starts. Executed notebooks are normalised (no timings, stable cell ids)
so reruns on the same inputs give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from .errors import NotebookExecutionError, UsageError

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
TYPE_CHECKS = {"str": str, "int": int, "float": (int, float), "bool": bool}
DEFAULT_TIMEOUT = 600  # seconds a single cell may run before the notebook is stopped


def _kernel_manager_class():
    """A kernel manager on IPC sockets (no TCP ports, so no plain-text warning) whose own log is
    discarded: what matters (a failing cell, a dead kernel) reaches us through nbclient."""
    import subprocess
    import tempfile
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(tempfile.gettempdir(), f"audit-kernel-{uuid.uuid4().hex}"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


def section_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The report's section notebooks, in report order (by file name)."""
    return sorted(p for p in directory.glob("[0-9]*.ipynb") if not p.name.startswith("."))


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (name -> type and default)."""
    import papermill

    found = papermill.inspect_notebook(str(path))
    if not found:
        raise UsageError(f"notebook {path.name} has no cell tagged 'parameters' declaring its parameters")
    return found


def check_parameters(path: Path, parameters: dict) -> None:
    """Refuse unknown or mistyped parameters before any kernel starts (papermill only warns)."""
    declared = notebook_parameters(path)
    for name, value in parameters.items():
        if name not in declared:
            raise UsageError(f"notebook {path.name} has no parameter {name!r}; it declares: {', '.join(declared)}")
        type_name = declared[name]["inferred_type_name"]
        optional = type_name.startswith("Optional[")
        base = type_name[len("Optional[") : -1] if optional else type_name
        if value is None and optional:
            continue
        expected = TYPE_CHECKS.get(base)
        if expected and not isinstance(value, expected):
            raise UsageError(
                f"notebook {path.name}: parameter {name!r} must be {type_name}, not {type(value).__name__} ({value!r})"
            )


def normalise(path: Path, injected_id: str = "injected-parameters") -> None:
    """Remove what varies between runs of the same inputs: timings, random cell ids."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = injected_id
        elif not cell.get("id"):
            cell.id = f"cell-{index}"
    nbformat.write(nb, path)


def execute(notebook: Path, output: Path, parameters: dict, period_id: str, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Run one notebook to ``output`` in a fresh kernel; ``NotebookExecutionError`` names the failing cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            execution_timeout=timeout,
            record_timing=False,
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        raise NotebookExecutionError(
            period_id, notebook.name, exc.cell_index, exc.ename, exc.evalue, str(output)
        ) from None
    except Exception as exc:  # a timeout or a dead kernel: still name the period and notebook
        if type(exc).__name__ in ("CellTimeoutError", "DeadKernelError", "TimeoutError", "RuntimeError"):
            raise NotebookExecutionError(
                period_id,
                notebook.name,
                None,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
                str(output),
            ) from None
        raise
    normalise(output)
    return output
