"""Only supported extension points of the Jupyter stack: no private name (a leading underscore) of
jupyter_client, nbclient, papermill or nbconvert is imported, read, or overridden in a subclass,
anywhere in the package. Private names are what an upgrade changes without notice."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "audit_pipeline"
GUARDED = ("jupyter_client", "nbclient", "papermill", "nbconvert")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def guarded(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in GUARDED


def traitlets_handler(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A dynamic default, validator or observer registered with traitlets' public decorators
    (``@default("name")``...): its own name is free, so it overrides nothing."""
    for decorator in function.decorator_list:
        called = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(called).split(".")[-1] in ("default", "validate", "observe"):
            return True
    return False


def violations(source: str) -> list[str]:
    """Each use of a private name of a guarded package in ``source``, as ``line: what``."""
    tree = ast.parse(source)
    found, names = [], set()  # names bound to guarded modules or their objects
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if guarded(alias.name):
                    if any(private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: import {alias.name}")
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and guarded(node.module):
            if any(private(part) for part in node.module.split(".")):
                found.append(f"{node.lineno}: from {node.module} import ...")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                names.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in names:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else ast.unparse(b).split(".")[0] for b in node.bases}
            if bases & names:  # a subclass of a guarded class: overrides and self._x are theirs
                for item in ast.walk(node):
                    if (
                        isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and private(item.name)
                        and not traitlets_handler(item)
                    ):
                        found.append(f"{item.lineno}: {node.name}.{item.name} overrides a private method")
                    if (
                        isinstance(item, ast.Attribute)
                        and private(item.attr)
                        and isinstance(item.value, ast.Name)
                        and item.value.id in ("self", "cls", "super")
                    ):
                        found.append(f"{item.lineno}: {ast.unparse(item)} in {node.name}")
                    if (
                        isinstance(item, ast.Attribute)
                        and private(item.attr)
                        and isinstance(item.value, ast.Call)
                        and ast.unparse(item.value.func) == "super"
                    ):
                        found.append(f"{item.lineno}: {ast.unparse(item)} in {node.name}")
    return found


def test_the_checker_finds_what_it_should():
    bad = """
from jupyter_client.manager import AsyncKernelManager
from papermill.execute import _infer_parameters
import nbclient._version
from nbconvert import exporters

class Manager(AsyncKernelManager):
    @default("ip")
    def _ip_default(self):
        return "127.0.0.1"

    async def _async_launch_kernel(self, cmd, **kw):
        self._reconcile_connection_info({})
        await super()._async_launch_kernel(cmd, **kw)

exporters._private_thing
"""
    found = violations(bad)
    assert len(found) == 6, found
    good = """
from jupyter_client.provisioning import LocalProvisioner

class Fork(LocalProvisioner):
    def __init__(self, **kw):
        super().__init__(**kw)
        self._mine = 1

    async def launch_kernel(self, cmd, **kw):
        return await super().launch_kernel(cmd, **kw)
"""
    assert violations(good) == ["7: self._mine in Fork"]  # strict: even our own private attributes there


def test_no_private_name_of_the_jupyter_stack_is_used():
    found = {
        str(path.relative_to(PACKAGE.parent)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if (hits := violations(path.read_text(encoding="utf-8")))
    }
    assert not found, found
