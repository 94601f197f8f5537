"""The package's shape: arrows point down only, no import circles, small modules.

Layers, highest first (a module may import from its own layer and any lower one):

    cli -> run -> report -> measures -> pack -> (errors, settings)

The import graph is read from the source with ``ast``, every ``import`` counted, including
those inside functions and under ``TYPE_CHECKING``: a deferred import is still a dependency.
An import names the module it loads (``from a.b import c`` is ``a.b.c`` when that is a
module, else ``a.b``); the parent packages that Python loads on the way are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "audit_pipeline"
MAX_LINES = 400
# Layer of each top-level part of the package; higher numbers sit higher.
LAYERS = {
    "errors": 0,
    "settings": 0,
    "pack": 1,
    "measures": 2,
    "report": 3,
    "run": 4,
    "cli": 5,
}
# Modules over MAX_LINES that another change of issue 11 splits. The lead empties this list
# once run/ is split; a module listed here that has become small fails the test below.
PENDING_SPLIT = {}


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its ``__init__``)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: set[str]) -> str | None:
    """The module of the package that ``name`` loads: itself, or its longest prefix that is a module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``module`` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(target for name in names if (target := _resolve(name, modules)) and target != module)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports."""
    files = module_files(package)
    names = set(files)
    return {module: imports_of(module, path, names) for module, path in files.items()}


def layer(module: str) -> int:
    """The layer of a module (the package's own ``__init__`` sits at the bottom: it imports nothing)."""
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else 0


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a module into a higher layer, as ``importer -> imported``."""
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def line_counts(package: Path = PACKAGE) -> dict[str, int]:
    """Lines in each module."""
    return {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in module_files(package).items()}


# ---- the package ----------------------------------------------------------------------------


def test_every_module_sits_in_a_known_layer():
    unknown = [m for m in import_graph() if "." in m and m.split(".")[1] not in LAYERS]
    assert unknown == [], f"add these to LAYERS (and to docs/ARCHITECTURE.md): {unknown}"


def test_imports_point_down_only():
    assert upward_imports(import_graph()) == []


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_measures_are_free_of_prose_and_formatting():
    """Measures compute figures; words and number style belong to ``report``."""
    graph = import_graph()
    assert not any(b.startswith("audit_pipeline.report") for m in graph if ".measures" in m for b in graph[m])


def test_render_uses_the_exporters_never_the_reverse():
    graph = import_graph()
    assert any(b.startswith("audit_pipeline.report.exporters") for b in graph["audit_pipeline.report.render"])
    assert not any(b == "audit_pipeline.report.render" for m in graph if ".exporters" in m for b in graph[m])


def test_modules_are_small():
    sizes = line_counts()
    over = {m: n for m, n in sizes.items() if n > MAX_LINES and m not in PENDING_SPLIT}
    assert over == {}, f"split these modules to {MAX_LINES} lines or fewer: {over}"


def test_pending_splits_are_still_pending():
    """The exceptions list only what still needs splitting: empty it as modules are split."""
    sizes = line_counts()
    done = [m for m in PENDING_SPLIT if sizes.get(m, 0) <= MAX_LINES]
    assert done == [], f"remove from PENDING_SPLIT (now split or gone): {done}"


# ---- the checks themselves can fail ---------------------------------------------------------


def test_an_upward_import_is_caught():
    graph = {
        "audit_pipeline.measures.finance": {"audit_pipeline.report.fmt", "audit_pipeline.pack.load"},
        "audit_pipeline.report.fmt": set(),
        "audit_pipeline.pack.load": {"audit_pipeline.errors"},
        "audit_pipeline.errors": set(),
    }
    assert upward_imports(graph) == ["audit_pipeline.measures.finance -> audit_pipeline.report.fmt"]


def test_a_circle_is_caught():
    graph = {
        "audit_pipeline.report.render": {"audit_pipeline.report.exporters"},
        "audit_pipeline.report.exporters": {"audit_pipeline.report.render"},
        "audit_pipeline.report.fmt": {"audit_pipeline.report.fmt"},
    }
    assert cycles(graph) == [["audit_pipeline.report.exporters", "audit_pipeline.report.render"]]


def test_imports_inside_functions_and_relative_imports_are_read(tmp_path: Path):
    """A deferred import is still a dependency; a relative one is resolved against its package."""
    package = tmp_path / "audit_pipeline"
    for folder in ("measures", "report"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "report" / "fmt.py").write_text("")
    (package / "measures" / "periods.py").write_text("")
    (package / "measures" / "finance.py").write_text(
        "from . import periods\n\ndef total():\n    from audit_pipeline.report import fmt\n    return fmt\n"
    )
    graph = import_graph(package)
    assert graph["audit_pipeline.measures.finance"] == {"audit_pipeline.measures.periods", "audit_pipeline.report.fmt"}
    assert upward_imports(graph) == ["audit_pipeline.measures.finance -> audit_pipeline.report.fmt"]


@pytest.mark.parametrize("package", ["pack", "measures", "report", "run"])
def test_each_package_says_what_it_owns_and_may_import(package: str):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "TODO" not in doc and "May import" in doc, doc


def test_the_architecture_page_draws_the_layers_tested_here():
    page = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    order = sorted({name for name in LAYERS if LAYERS[name]}, key=LAYERS.get, reverse=True)
    assert " -> ".join(order) + " -> (errors, settings)" in page
