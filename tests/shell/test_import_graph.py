"""The import graph of the product: no module-level cycle, and every deferred import says why.

import-linter (``make lint``) checks the layers between packages; these two rules hold inside them
too. A module-level cycle works or breaks depending on which module is imported first; a
function-level import hides a dependency, so it is allowed only with a comment giving the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from hamkke.config import PACKAGES, REPO_ROOT

#: the product's top-level packages: the shell, the domains (loaded by name) and the entry points
FIRST_PARTY = frozenset({"hamkke", "worker", "devidp", *PACKAGES})
#: how many lines above a function-level import its comment may stand
COMMENT_REACH = 3


def _modules() -> Iterator[tuple[str, Path]]:
    for package in sorted(FIRST_PARTY):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imported(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    """Return the first-party modules an import statement names (``from a import b`` may name a.b)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return [name for name in names if name.split(".")[0] in FIRST_PARTY]


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Yield imports run when the module loads (not inside functions, not under TYPE_CHECKING)."""
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else ():
            if isinstance(inner, ast.Import | ast.ImportFrom) and not _inside_function(node, inner):
                yield inner


def _inside_function(top: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(top):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and any(
            child is target for child in ast.walk(node)
        ):
            return True
    return False


def _graph() -> dict[str, set[str]]:
    modules = dict(_modules())
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            graph[name] |= {target for target in _imported(node, name, path) if target in modules}
        graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan's algorithm)."""
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
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_module_level_import_cycle() -> None:
    graph = _graph()
    assert len(graph) > 150  # the walk found the product, not an empty folder
    # A package's __init__ re-exporting its own submodules is not a cycle with them as long as the
    # submodules do not need the package's names; only cycles between distinct modules count.
    cycles = [group for group in _cycles(graph) if not _only_package_and_children(group)]
    assert cycles == [], cycles


def _only_package_and_children(group: list[str]) -> bool:
    """A package and its own submodules only (its __init__ re-exporting them)."""
    shortest = min(group, key=len)
    return all(member == shortest or member.startswith(shortest + ".") for member in group)


def _explained(lines: list[str], lineno: int) -> bool:
    """Tell whether a comment stands on the import's line or above the block of imports it is in."""
    if "#" in lines[lineno - 1]:
        return True
    top = lineno - 1
    while top > 0 and lines[top - 1].strip().startswith(("from ", "import ")):
        top -= 1  # one comment above a block of imports explains the block
    return any("#" in line for line in lines[max(0, top - COMMENT_REACH) : top])


def test_every_function_level_import_of_the_product_says_why() -> None:
    unexplained = []
    for name, path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if _imported(node, name, path) and not _explained(lines, node.lineno):
                    unexplained.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert sorted(set(unexplained)) == [], "function-level imports without a comment saying why"


def test_the_cycle_finder_finds_cycles_and_lets_a_package_re_export_its_modules() -> None:
    graph = {
        "a.x": {"b.y"},
        "b.y": {"b.z"},
        "b.z": {"a.x"},
        "c": {"c.d"},
        "c.d": set(),
        "e": {"e.f"},
        "e.f": {"e"},
    }
    groups = _cycles(graph)
    assert ["a.x", "b.y", "b.z"] in groups
    assert [group for group in groups if not _only_package_and_children(group)] == [["a.x", "b.y", "b.z"]]
