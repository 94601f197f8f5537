"""The package as installed by `make setup`: locks in step with pyproject.toml, package data in the
wheel, the console script, the kernel spec and the nbconvert exporters registered by entry point.

The locks are checked anywhere. The rest needs the package installed (``pip install -e .``): in
the repository's own .venv a missing install fails; in any other environment those tests skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent
# Each lock and the extras it holds on top of the runtime dependencies (see `make lock`).
LOCKS = {
    "requirements.txt": [],
    "requirements-test.txt": ["test", "lab"],
    "requirements-lint.txt": ["lint"],
    "requirements-lab.txt": ["lab"],
}
TEMPLATES = ROOT / "audit_pipeline" / "report" / "templates"


def _pins(lock: str) -> dict[str, str]:
    """``{canonical name: version}`` of a lock; every requirement line must be an exact pin."""
    pins = {}
    for number, line in enumerate((ROOT / lock).read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{lock}:{number}: not an exact pin: {line}"
        pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def _declared(extras: list[str]) -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = project["dependencies"] + [d for e in extras for d in project["optional-dependencies"][e]]
    return [Requirement(line) for line in lines]


def _installed() -> None:
    """Skip unless the package is installed; in the repository's .venv, fail instead (make setup installs it)."""
    try:
        metadata.distribution("audit-pipeline")
    except metadata.PackageNotFoundError:
        if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
            pytest.fail("audit-pipeline is not installed in .venv: run make setup")
        pytest.skip("audit-pipeline is not installed in this environment (make setup installs it)")


# ---- the locks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pins_every_declared_dependency_within_its_bounds(lock):
    pins = _pins(lock)
    for requirement in _declared(LOCKS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {requirement.name}, declared in pyproject.toml: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {name}=={pins[name]}, outside pyproject.toml's {requirement}: run make lock"
        )


def test_locks_agree_with_each_other():
    """Any two locks can be installed together (make setup installs test and lint into one .venv)."""
    seen: dict[str, tuple[str, str]] = {}
    for lock in sorted(LOCKS):
        for name, version in _pins(lock).items():
            first = seen.setdefault(name, (lock, version))
            assert first[1] == version, f"{name}: {first[0]} pins {first[1]}, {lock} pins {version}"


def test_runtime_lock_is_a_subset_of_each_dev_lock():
    runtime = _pins("requirements.txt")
    for lock in LOCKS:
        pins = _pins(lock)
        assert {n: v for n, v in runtime.items() if n not in pins} == {}, f"{lock} lacks runtime pins"


def test_locks_say_how_they_are_made():
    for lock in LOCKS:
        assert "make lock" in (ROOT / lock).read_text(encoding="utf-8").split("\n\n")[0][:300], lock


# ---- the package ---------------------------------------------------------------------------------


def test_wheel_holds_the_package_and_its_templates(tmp_path):
    """A wheel built from the tree carries the templates (package data) and the entry points."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"  # a copy: building in the tree would leave build/ and *.egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source)
    shutil.copytree(ROOT / "audit_pipeline", source / "audit_pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", tmp_path, source],
        timeout=300,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("audit_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.relative_to(ROOT).as_posix() for p in TEMPLATES.rglob("*") if p.is_file()}
    assert templates and templates <= names, templates - names
    assert {n.split("/")[0] for n in names if not n.startswith("audit_pipeline-")} == {"audit_pipeline"}
    assert "audit_pipeline/report/templates/report/conf.json" in names
    (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "audit-pipeline = audit_pipeline.cli:entry" in text
    assert "audit_html = audit_pipeline.report.exporters:ReportHTMLExporter" in text
    assert "audit_pdf = audit_pipeline.report.exporters:ReportPDFExporter" in text


def test_console_script_help_and_validate():
    _installed()
    script = BIN / "audit-pipeline"
    assert script.exists(), f"{script} is missing"
    shown = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert shown.returncode == 0, shown.stderr
    for command in ("validate", "run", "list"):
        assert command in shown.stdout
    checked = subprocess.run(
        [script, "validate", "--data", ROOT / "data" / "ngss"], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid" in checked.stdout


def test_kernel_spec_named_for_the_project():
    _installed()
    listed = subprocess.run(
        [BIN / "jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, timeout=60, check=True
    )
    specs = json.loads(listed.stdout)["kernelspecs"]
    if "audit-pipeline" not in specs and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("the kernel spec is installed by make setup / make lab in .venv")
    spec = specs["audit-pipeline"]["spec"]
    assert spec["display_name"] == "Audit pipeline (Python {}.{})".format(*sys.version_info[:2])
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()


# ---- the nbconvert exporters, by their entry-point names ------------------------------------------


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory) -> Path:
    """A small notebook, executed in a real kernel: a heading, some text, a table."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Entry-point check\n\nA section converted on its own."),
        nbformat.v4.new_code_cell("print('forty-two', 6 * 7)"),
        nbformat.v4.new_code_cell(
            "from IPython.display import HTML\n"
            "HTML('<table><caption>Checked figures</caption><tr><th>A</th></tr><tr><td>1</td></tr></table>')"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    path = tmp_path_factory.mktemp("exporters") / "section.ipynb"
    nbformat.write(nb, path)
    return path


def _nbconvert(notebook: Path, to: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "jupyter", "nbconvert", "--to", to, notebook.name],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=notebook.parent,
    )


def test_nbconvert_to_audit_html(executed_notebook):
    _installed()
    from audit_pipeline.report import render

    done = _nbconvert(executed_notebook, "audit_html")
    assert done.returncode == 0, done.stderr
    html = executed_notebook.with_suffix(".html").read_text(encoding="utf-8")
    assert render.stylesheet().strip()[:200] in html  # the report template's own stylesheet
    assert "Entry-point check" in html and "<caption>Checked figures</caption>" in html
    assert "print(" not in html  # no code, as reviewers read it


def test_nbconvert_to_audit_pdf(executed_notebook):
    _installed()
    done = _nbconvert(executed_notebook, "audit_pdf")
    assert done.returncode == 0, done.stderr
    pdf = executed_notebook.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(executed_notebook.with_suffix(".pdf")).pages)
    assert "Entry-point check" in text and "Checked" in text


def test_reading_notebooks_does_not_build_the_iri_grammar():
    """jsonschema (under nbformat) builds rfc3987-syntax's grammar at import when the test or lab
    extras installed it: about 1.5 s of CPU in every process. The package keeps it out."""
    probe = (
        "import sys, audit_pipeline.cli, nbformat, jsonschema\n"
        "nbformat.validate(nbformat.v4.new_notebook())\n"
        "print(sys.modules.get('rfc3987_syntax'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
