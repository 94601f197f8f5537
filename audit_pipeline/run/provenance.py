"""Where a report came from: what it read of each input file, notebook hashes, package versions, code revision."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from audit_pipeline.pack.load import file_sha256
from audit_pipeline.settings import ROOT, code_digest

PACKAGES = (
    "pandas",
    "pyarrow",
    "duckdb",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "nbformat",
    "ipykernel",
    "weasyprint",
    "openpyxl",
    "PyYAML",
)


def code_revision() -> str:
    """The git commit of the code, with ``+modified`` when the work tree differs; else ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "audit_pipeline",
                "notebooks",
                "pipeline.py",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+modified" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the outputs."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(data_dir: Path, notebooks: list[Path], parameters: dict, inputs: dict[str, dict]) -> dict:
    """The manifest's content for one period (no timestamps: reruns give the same bytes).

    ``inputs`` is what the period read, by file (``inputs.period_inputs``). ``build`` adds the
    units, the rendering and the ``version`` block (see ``history.py``); ``verify`` compares
    ``code_revision``, ``python`` and ``packages`` with its own."""
    return {
        "inputs": {"data_dir": str(Path(data_dir).resolve()), "files": inputs},
        "parameters": parameters,
        "notebooks": {p.name: file_sha256(p) for p in notebooks},
        "package_code_sha256": code_digest(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "code_revision": code_revision(),
    }
