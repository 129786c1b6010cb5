"""Imports run one way (docs/DESIGN): no cycles, and only the commands import the commands.

Read from the source with ``ast``, so a lazy import inside a function counts too: it is a
dependency all the same, and the cycle it hides shows up only when that function runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE = REPO / "ffade"
COMMAND_LINE = (
    "ffade.cli",
    "ffade.loop",
    "ffade.lightning_run",
    "ffade.__main__",
    "ffade.api",
    "ffade.api.calls",
    "ffade.api.run",
    "ffade.api.pieces",
    "ffade.api.keywords",
)
"""The top layer: the ``ffade`` command, ``ffade loop``, how both run LightningCLI, and the
Python API (``ffade.discover`` and friends), which runs the same LightningCLI from a dict."""


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(REPO).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The ffade modules ``path`` imports anywhere in its body, relative imports resolved."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x, from ..y import z
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # from pkg import module
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(paths)) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Modules that import each other, directly or round a longer loop (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1 or module in graph[module]:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_the_imports_it_checks(graph) -> None:
    assert "ffade.lightning_run" in graph["ffade.cli"]  # a lazy import, inside main()
    assert "ffade.registry" in graph["ffade.task"]  # from ffade import registry
    assert "ffade.trainer" in graph["ffade.explore.run"]


def test_a_planted_cycle_is_found() -> None:
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(cycles(planted)) == [["a", "b", "c"], ["e"]]


def test_no_import_cycles(graph) -> None:
    """Less ffade.mitigate's import of the API, made in ``__call__`` (see CALLABLE_PACKAGE
    below), only when ``ffade.mitigate(...)`` is called: by then every module is whole, so no
    import order can meet it half-loaded (the API, a command line, may read fine-tuner classes)."""
    lazy = {("ffade.mitigate", "ffade.api.calls")}
    loaded = {m: {i for i in imported if (m, i) not in lazy} for m, imported in graph.items()}
    assert cycles(loaded) == []


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Library modules (explore, mitigate, summarize, feedback, core) importing the command line."""
    return sorted(
        f"{module} imports {imported}"
        for module, imported_modules in graph.items()
        if module not in COMMAND_LINE
        for imported in imported_modules
        if imported in COMMAND_LINE
    )


def test_a_planted_upward_import_is_found() -> None:
    planted = {"ffade.cli": {"ffade.loop"}, "ffade.explore.run": {"ffade.cli", "ffade.trainer"}}
    assert upward_imports(planted) == ["ffade.explore.run imports ffade.cli"]


CALLABLE_PACKAGE = "ffade.mitigate imports ffade.api.calls"
"""The one allowed upward import: the package ``ffade.mitigate`` is also the API's call
``ffade.mitigate(run, ...)`` (importing a subpackage would otherwise hide the function), so its
``__call__`` imports the API lazily (see ffade/mitigate/__init__.py)."""


def test_only_the_command_line_imports_the_command_line(graph) -> None:
    assert [line for line in upward_imports(graph) if line != CALLABLE_PACKAGE] == []
