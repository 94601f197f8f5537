"""Section notebooks: finding them, checking the parameters a run gives them, and normalising
executed notebooks (no timings, stable cell ids) so reruns on the same inputs give the same bytes."""

from __future__ import annotations

from pathlib import Path

from audit_pipeline.errors import UsageError
from audit_pipeline.settings import NOTEBOOK_DIR

TYPE_CHECKS = {"str": str, "int": int, "float": (int, float), "bool": bool}


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


def normalised(nb, injected_id: str = "injected-parameters"):
    """Remove what varies between runs of the same inputs: timings, random cell ids."""
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = injected_id
        elif not cell.get("id"):
            cell.id = f"cell-{index}"
    return nb
