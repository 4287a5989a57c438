"""Find every route and Socket.IO event that discloses client data, from the code itself.

A disclosure is a call into the disclosure gate or the access log (:data:`SINKS`). Every function
of the application packages is parsed into a call graph: a function discloses if it calls a sink,
or calls (or hands as an argument, like a ``prepare`` callback) a function that discloses. A name
resolves to a nested function of the enclosing scope first; a call of a parameter is the caller's
business (the caller's argument is followed instead); any other name resolves to every top-level
function or method of that name in the packages (an over-approximation, never a miss). Routes come
from the app's URL map (the API registry registers its routes there too), socket events from the
namespaces registered on the Socket.IO server.
"""

from __future__ import annotations

import ast
import inspect
from collections import defaultdict
from dataclasses import dataclass, field

from flask import Flask

from hamkke.config import PACKAGES as INSTALLED_PACKAGES
from hamkke.config import REPO_ROOT

#: the gate's entry points and the access log's writers, and the conference's deferred gate call
#: (``refresh_case_data_after_commit`` asks the event wrapper to run ``send_case_data`` after the commit)
SINKS = frozenset(
    {"view_client", "view_clients", "log_disclosure", "log_disclosures", "refresh_case_data_after_commit"}
)
#: packages whose code can reach the gate: every installed package (the app's list) and the shell
PACKAGES = (*INSTALLED_PACKAGES, "hamkke")
#: the gate and the log themselves: their internal calls are the sinks, not callers of them
SINK_MODULES = frozenset({"consents/gate.py", "consents/access_log.py"})


@dataclass
class Function:
    """One function of the packages: what it calls and hands on, and its nested functions."""

    key: str
    names: set[str] = field(default_factory=set)
    #: ``alias.attr`` calls, resolved through the module's imports when ``alias`` is an imported module
    dotted: set[tuple[str, str]] = field(default_factory=set)
    handed: set[str] = field(default_factory=set)
    parameters: set[str] = field(default_factory=set)
    nested: dict[str, str] = field(default_factory=dict)
    parent: str | None = None


def _module_name(relative: str) -> str:
    return relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, functions: dict[str, Function], imports: dict[str, str]) -> None:
        self.module = module
        self.functions = functions
        #: local name -> "module:name" (from-imports) or "module" (module imports)
        self.imports = imports
        self.stack: list[Function] = []
        self.classes: list[str] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``.
            self.imports[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module is None or node.level:
            return
        for alias in node.names:
            self.imports[alias.asname or alias.name] = f"{node.module}:{alias.name}"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        for statement in node.body:
            self.visit(statement)
        self.classes.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.stack:
            qualname = f"{self.stack[-1].key.split(':', 1)[1]}.<locals>.{node.name}"
        else:
            qualname = ".".join([*self.classes, node.name])
        function = Function(
            key=f"{self.module}:{qualname}",
            parameters={arg.arg for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]},
            parent=self.stack[-1].key if self.stack else None,
        )
        if self.stack:
            self.stack[-1].nested[node.name] = function.key
        self.functions[function.key] = function
        self.stack.append(function)
        for statement in node.body:  # decorators are left out: they wrap every handler alike
            self.visit(statement)
        self.stack.pop()

    visit_FunctionDef = _function  # noqa: N815 -- ast.NodeVisitor's naming
    visit_AsyncFunctionDef = _function  # noqa: N815

    def visit_Call(self, node: ast.Call) -> None:
        if self.stack:
            names = self.stack[-1].names
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                if isinstance(node.func.value, ast.Name):
                    self.stack[-1].dotted.add((node.func.value.id, node.func.attr))
                names.add(node.func.attr)
            # A function handed to another (``prepare=prepare``) runs on this function's behalf.
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                if isinstance(argument, ast.Name):
                    self.stack[-1].handed.add(argument.id)
        self.generic_visit(node)


def collect() -> dict[str, Function]:
    """Parse every module of the packages into functions keyed ``module:qualname``."""
    functions: dict[str, Function] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if relative in SINK_MODULES:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = _module_name(relative)
            IMPORTS[module] = {}
            _Collector(module, functions, IMPORTS[module]).visit(tree)
    return functions


#: per module: local name -> what it imports (filled by :func:`collect`)
IMPORTS: dict[str, dict[str, str]] = {}


def disclosing_keys(functions: dict[str, Function] | None = None) -> frozenset[str]:
    """Return the keys of every function that reaches a sink."""
    functions = functions if functions is not None else collect()
    by_name: dict[str, set[str]] = defaultdict(set)
    for key, function in functions.items():
        if function.parent is None:
            by_name[key.rsplit(".", 1)[-1].split(":")[-1]].add(key)

    def resolve(function: Function, name: str, *, handed: bool = False) -> set[str]:
        scope: Function | None = function
        while scope is not None:
            if name in scope.nested:
                return {scope.nested[name]}
            if name in scope.parameters:
                return set()  # the caller's argument is followed where it is handed in
            scope = functions[scope.parent] if scope.parent else None
        module = function.key.split(":", 1)[0]
        own = f"{module}:{name}"
        if own in functions:
            return {own}
        imported = IMPORTS.get(module, {}).get(name)
        if imported is not None and ":" in imported:
            # Imported from a module of the packages: exactly that function (or nothing outside them).
            return {imported} if imported in functions else set()
        if handed:
            return set()  # a handed-on name that is no function here is a variable
        return by_name.get(name, set())

    def resolve_dotted(function: Function, alias: str, attribute: str) -> set[str] | None:
        module = function.key.split(":", 1)[0]
        imported = IMPORTS.get(module, {}).get(alias)
        if imported is None or ":" in imported:
            return None  # not a module alias (an object): fall back to the name
        return {f"{imported}:{attribute}"} & functions.keys()

    edges: dict[str, set[str]] = {}
    for key, function in functions.items():
        targets: set[str] = set()
        resolved_attributes: set[str] = set()
        for alias, attribute in function.dotted:
            found = resolve_dotted(function, alias, attribute)
            if found is not None:
                targets |= found
                resolved_attributes.add(attribute)
        for name in function.names - resolved_attributes:
            targets |= resolve(function, name)
        for name in function.handed:
            targets |= resolve(function, name, handed=True)
        edges[key] = targets
    reaching = {key for key, function in functions.items() if function.names & SINKS}
    changed = True
    while changed:
        changed = False
        for key, targets in edges.items():
            if key not in reaching and targets & reaching:
                reaching.add(key)
                changed = True
    return frozenset(reaching)


def key_of(function: object) -> str:
    """Return the call-graph key of a (possibly decorated) function."""
    target = inspect.unwrap(function)  # type: ignore[arg-type]
    return f"{target.__module__}:{target.__qualname__}"


def disclosing_routes(app: Flask) -> dict[str, str]:
    """Return ``{endpoint: rule}`` of every route whose view function reaches the gate or the log."""
    reaching = disclosing_keys()
    found: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is not None and key_of(view) in reaching:
            found[rule.endpoint] = rule.rule
    return found


def disclosing_events(app: Flask) -> dict[str, str]:
    """Return ``{"namespace event": class}`` of every socket handler that reaches the gate or the log."""
    from hamkke.extensions import socketio

    reaching = disclosing_keys()
    found: dict[str, str] = {}
    server = socketio.server
    assert server is not None
    for namespace, handler in server.namespace_handlers.items():
        for name in dir(type(handler)):
            if name.startswith("on_") and key_of(getattr(type(handler), name)) in reaching:
                found[f"{namespace} {name.removeprefix('on_')}"] = type(handler).__name__
    return found
