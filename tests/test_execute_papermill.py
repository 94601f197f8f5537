"""The pipeline's executor against papermill's own test notebooks (tests/fixtures/papermill/) and
kernels that die, compared with plain ``papermill.execute_notebook`` run on the same notebook.

Same status and message as papermill, except where the pipeline is stricter on purpose: any
``SystemExit`` fails a section (papermill lets ``sys.exit()``/``sys.exit(0)`` pass, keeping a
notebook cut short), a mistyped magic is named (papermill says ``CellExecutionError`` and
nothing more), and a dead kernel's exit status is told. The failing cell is named by its place
in the kept notebook and its execution count; both are checked against the kept file.
"""

from __future__ import annotations

import signal
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from audit_pipeline.errors import NotebookExecutionError
from audit_pipeline.run import forkserver, provisioner
from audit_pipeline.run.execute import execute

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "papermill"
TIMEOUT = 4  # seconds: keyboard_interrupt.ipynb sleeps for 60


def plain_papermill(notebook: Path, tmp_path: Path):
    """``(ename, evalue)`` of what plain papermill raised, or ``None`` when it passed."""
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp_path / f"plain-{notebook.name}"), kernel_name="python3", progress_bar=False,
            execution_timeout=TIMEOUT,
        )  # fmt: skip
    except PapermillExecutionError as exc:
        return exc.ename, exc.evalue
    except (CellTimeoutError, DeadKernelError) as exc:
        return type(exc).__name__, str(exc)
    return None


def ours(notebook: Path, tmp_path: Path):
    """The ``NotebookExecutionError`` of the pipeline's executor (``None`` when it passed) and the kept notebook."""
    output = tmp_path / f"ours-{notebook.name}"
    try:
        execute(notebook, output, {}, "P", timeout=TIMEOUT, cwd=tmp_path)
    except NotebookExecutionError as exc:
        return exc, nbformat.read(output, as_version=4)
    return None, nbformat.read(output, as_version=4)


def assert_names_the_cell(error: NotebookExecutionError, kept, source: str) -> None:
    """The error's cell is, in the kept notebook, the cell with ``source`` and that execution count."""
    cell = kept.cells[error.cell_index]
    assert cell.source == source, (error.cell_index, [c.source for c in kept.cells])
    assert error.execution_count == cell.execution_count
    count = f" (In [{cell.execution_count}])" if cell.execution_count is not None else ""
    assert f"failed in cell {error.cell_index}{count}: {error.ename}" in str(error)
    assert any(o.get("output_type") == "error" for o in cell.outputs)


@pytest.fixture(scope="module", autouse=True)
def one_fork_server():
    yield
    forkserver.stop_fork_server()


# name -> (what papermill says, what we say (ename, evalue), the failing cell's source)
SAME_AS_PAPERMILL = {
    "broken1": (("AssertionError", ""), "assert False"),
    "sysexit1": (("SystemExit", "1"), "sys.exit(1)"),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_PAPERMILL))
def test_a_failing_cell_fails_as_with_papermill(name, tmp_path):
    notebook = FIXTURES / f"{name}.ipynb"
    (ename, evalue), source = SAME_AS_PAPERMILL[name]
    assert plain_papermill(notebook, tmp_path) == (ename, evalue)
    error, kept = ours(notebook, tmp_path)
    assert error is not None and (error.ename, error.evalue) == (ename, evalue)
    assert_names_the_cell(error, kept, source)
    # Papermill's own marker cells are kept too (its error cell first, an anchor before the cell).
    assert kept.cells[error.cell_index - 1].metadata.get("tags") == ["papermill-error-cell-tag"]


def test_a_notebook_that_succeeds_succeeds(tmp_path):
    notebook = FIXTURES / "simple_execute.ipynb"
    assert plain_papermill(notebook, tmp_path) is None
    error, kept = ours(notebook, tmp_path)
    assert error is None
    assert kept.cells[-2].outputs[0]["text"] == "None\n"  # after papermill's injected parameters cell


@pytest.mark.parametrize(
    ("name", "evalue", "source"),
    [("sysexit", "", "sys.exit()"), ("sysexit0", "0", "sys.exit(0)"), ("systemexit", "", "raise SystemExit")],
)
def test_any_system_exit_fails_where_papermill_lets_it_pass(name, evalue, source, tmp_path):
    notebook = FIXTURES / f"{name}.ipynb"
    assert plain_papermill(notebook, tmp_path) is None  # papermill: success, with the last cell never run
    error, kept = ours(notebook, tmp_path)
    assert error is not None and (error.ename, error.evalue) == ("SystemExit", evalue)
    assert_names_the_cell(error, kept, source)
    assert kept.cells[-1].source == 'print("Cell should not execute.")' and not kept.cells[-1].outputs


def test_a_mistyped_magic_is_named(tmp_path):
    notebook = FIXTURES / "line_magic_error.ipynb"
    assert plain_papermill(notebook, tmp_path) == ("CellExecutionError", "")  # papermill: no word of why
    error, kept = ours(notebook, tmp_path)
    assert error is not None and error.ename == "UsageError"
    assert "%undefined-line-magic" in error.evalue and "not found" in error.evalue
    assert_names_the_cell(error, kept, "%undefined-line-magic")


def test_a_hanging_cell_is_stopped_by_the_timeout(tmp_path):
    notebook = FIXTURES / "keyboard_interrupt.ipynb"
    assert plain_papermill(notebook, tmp_path)[0] == "CellTimeoutError"
    error, kept = ours(notebook, tmp_path)
    assert error is not None and error.ename == "CellTimeoutError"
    assert f"timeout ({TIMEOUT} s)" in error.evalue
    assert_names_the_cell(error, kept, "from time import sleep\nsleep(60)")


def dying(tmp_path: Path, how: str) -> Path:
    """A notebook whose second code cell ends its own kernel ``how``."""
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("import os, signal"),
        nbformat.v4.new_markdown_cell("The kernel dies next."),
        nbformat.v4.new_code_cell(how),
        nbformat.v4.new_code_cell('print("never")'),
    ]
    path = tmp_path / "dying.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("how", "told"),
    [("os.kill(os.getpid(), signal.SIGKILL)", f"killed by signal {signal.SIGKILL.name}"), ("os._exit(3)", "status 3")],
)
def test_a_dead_kernel_is_reported_with_how_it_ended(how, told, tmp_path):
    notebook = dying(tmp_path, how)
    assert plain_papermill(notebook, tmp_path)[0] == "DeadKernelError"
    error, kept = ours(notebook, tmp_path)
    assert error is not None and error.ename == "DeadKernelError"
    assert error.evalue.startswith("the kernel died")
    assert_names_the_cell(error, kept, how)
    if provisioner.registered() and forkserver.fork_enabled():  # forked: the server reports its real status
        assert told in error.evalue, error.evalue


@pytest.mark.parametrize("exit_line", ["import sys; sys.exit(0)", "raise SystemExit"])
def test_a_section_that_exits_fails_the_run_and_publishes_nothing(exit_line, tmp_path):
    """``sys.exit(0)`` in a section must not publish a report with that section cut short."""
    import shutil

    from pipeline_runs import cli, code_snapshot, copy_pack, run_args

    code = code_snapshot(tmp_path / "code")
    pack = copy_pack(tmp_path / "pack")
    notebooks = tmp_path / "notebooks"
    shutil.copytree(code / "notebooks", notebooks, ignore=shutil.ignore_patterns("*.py"))
    nb = nbformat.read(notebooks / "01_summary.ipynb", as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell(exit_line))
    nbformat.write(nb, notebooks / "01_summary.ipynb")
    out = tmp_path / "out"
    result = cli(code, *run_args(pack, out, "--period", "A", "--notebooks", str(notebooks)))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "notebook 01_summary.ipynb failed in cell 5 (In [" in result.stderr
    assert "SystemExit" in result.stderr
    kept = nbformat.read(out / "hand" / "failed" / "A" / "01_summary.ipynb", as_version=4)
    assert kept.cells[5].source == exit_line  # papermill's parameters cell comes before it
    assert not (out / "hand" / "A").exists()  # nothing published


def test_the_first_kernel_start_of_a_process_goes_alone():
    """A second thread waits while the first start is under way, then starts freely; later
    starts never wait (the gate against traitlets' unlocked class resolution)."""
    import threading
    import time

    from audit_pipeline.run.execute import FirstStart

    gate = FirstStart()
    leave = gate.enter()
    waited = []

    def second() -> None:
        began = time.monotonic()
        gate.enter()()
        waited.append(time.monotonic() - began)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)
    assert not waited  # still waiting on the first
    leave()
    leave()  # a second call (the hook, then the finally) is harmless
    thread.join(timeout=10)
    assert waited and waited[0] >= 0.25
    began = time.monotonic()
    gate.enter()()
    assert time.monotonic() - began < 0.1
