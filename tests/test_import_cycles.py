"""No import cycles in `simulator/` or `connector/`, so each module can be read, tested and moved alone.

The graph is read from the source with ast, so imports inside functions and under TYPE_CHECKING count:
a late import hides a cycle from Python at run time, not from the next person who moves a module.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulator", "connector")


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """Dotted names an import statement may load: `from x import y` loads x.y when y is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Each module of `packages` under `root` -> the modules of `packages` it imports, anywhere in it."""
    paths = {_module_name(path, root): path
             for package in packages for path in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                candidates = _imported(node, name, path.name == "__init__.py")
                # `from pkg import mod` depends on pkg.mod, not on pkg's __init__, when mod is a module
                submodules = [c for c in candidates[1:] if c in paths]
                targets = submodules if isinstance(node, ast.ImportFrom) and submodules else candidates
                graph[name] |= {t for t in targets if t in paths and t != name}
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that all reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                on_stack.discard(member)
                group.append(member)
            on_stack.discard(node)
            groups.append(sorted([*group, node]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _shortest_cycle(graph: dict[str, set[str]], start: str, group: set[str]) -> list[str]:
    """The shortest path start -> ... -> start inside one strongly connected group."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node] & group):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    raise AssertionError(f"{start} is in a cycle group but reaches no cycle")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The shortest cycle through each module that is in one, as a -> ... -> a, each cycle named once."""
    cycles: dict[tuple[str, ...], list[str]] = {}
    for group in _strongly_connected(graph):
        for module in group if len(group) > 1 else ():
            cycle = _shortest_cycle(graph, module, set(group))
            first = cycle.index(min(cycle))
            cycles.setdefault(tuple(sorted(cycle[:-1])), cycle[first:-1] + cycle[: first + 1])
    return list(cycles.values())


def test_simulator_and_connector_have_no_import_cycles() -> None:
    cycles = find_cycles(import_graph(ROOT, PACKAGES))
    named = "\n".join(" -> ".join(cycle) for cycle in cycles)
    assert not cycles, f"import cycles; move what both sides need into a module of its own:\n{named}"


def test_the_guard_sees_imports_in_functions_and_under_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.d import D\n")
    (package / "a.py").write_text("def late():\n    from pkg import b\n")
    (package / "b.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from .c import C\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from . import a\nD = 1\n")  # imports the cycle without being in it

    graph = import_graph(tmp_path, ["pkg"])

    assert graph == {"pkg": {"pkg.d"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"},
                     "pkg.d": {"pkg.a"}}
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
