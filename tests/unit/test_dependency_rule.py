"""The dependency rule and the context boundaries (ARCHITECTURE.md).

Every import counts: at module level, inside functions and under TYPE_CHECKING, absolute
and relative. Contexts are the packages under recall/ listed in CONTEXTS; recall/db and the
top-level leaf modules are the shared kernel; recall/cli, recall/demo.py and
recall/embedded.py compose the application.

tests/ are not held to the boundary rules: a test may reach a context's private module to
patch it or to check one of its parts alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"litestar", "arq", "web", "workers"}
CONTEXTS = (
    "alerts",
    "audit",
    "auth",
    "complaints",
    "exports",
    "investigations",
    "masterdata",
    "notices",
    "outbox",
    "recalls",
    "regulatory",
)
# Packages whose inner modules only the package itself imports.
PACKAGES = {*CONTEXTS, "db", "cli"}
COMPOSITION = {"recall.cli", "recall.demo", "recall.embedded"}
# Loaded by Piccolo's migration runner, never imported by code.
MIGRATIONS = "recall.db.migrations"
# Tables every context may write (recall/db/tables.py).
SHARED_TABLES = {"counter"}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it stands and whether it runs at import time."""

    path: Path
    line: int
    target: str
    statement: str
    module_level: bool

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} `{self.statement}`"


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _module_level_nodes(tree: ast.Module) -> set[ast.AST]:
    """Import nodes that run when the module is imported (not in functions or TYPE_CHECKING)."""
    found: set[ast.AST] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.add(node)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    visit(block)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    return found


@cache
def imports_of(path: Path) -> tuple[Import, ...]:
    """Every module `path` imports, submodules named in `from package import module` too."""
    tree = ast.parse(path.read_text(), filename=str(path))
    at_import = _module_level_nodes(tree)
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                inner = f"{module}.{alias.name}"
                targets.append(inner if is_module(inner) else module)
        else:
            continue
        statement = ast.unparse(node)
        for target in dict.fromkeys(targets):
            found.append(Import(path, node.lineno, target, statement, node in at_import))
    return tuple(found)


def context_of(module: str) -> str | None:
    """The context (or kernel package) a module belongs to, None for a leaf module."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "recall" and parts[1] in PACKAGES:
        return parts[1]
    return None


# recall/ imports no web, queue, web/ or workers/ -------------------------------------------


@pytest.mark.parametrize("path", python_files("recall"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_no_web_or_queue(path):
    if module_name(path).startswith("recall.cli"):
        return  # the composition root starts the server and the worker
    wrong = [i.where() for i in imports_of(path) if i.target.split(".")[0] in FORBIDDEN_IN_DOMAIN]
    assert not wrong, f"recall/ imports no litestar, arq, web or workers: {wrong}"


@pytest.mark.parametrize("path", python_files("web"), ids=lambda p: str(p.relative_to(ROOT)))
def test_web_does_not_import_workers(path):
    wrong = [i.where() for i in imports_of(path) if i.target.split(".")[0] == "workers"]
    assert not wrong, f"web/ causes background work through the outbox, not workers/: {wrong}"


# A context is entered through its package ---------------------------------------------------


def _allowed_inner(imported: Import) -> bool:
    importer, target = module_name(imported.path), imported.target
    # Piccolo's app registry lists every table; tables share the helpers of recall.db.tables.
    if importer == "recall.db.piccolo_app" and target.endswith(".tables"):
        return True
    return importer.endswith(".tables") and target == "recall.db.tables"


def inner_imports(paths: list[Path]) -> Iterator[Import]:
    """Imports of `recall.<package>.<module>` from outside that package."""
    for path in paths:
        own = context_of(module_name(path))
        for imported in imports_of(path):
            ctx = context_of(imported.target)
            entered = imported.target == f"recall.{ctx}"
            if ctx and ctx != own and not entered and not _allowed_inner(imported):
                yield imported


@pytest.mark.parametrize("path", python_files("recall"), ids=lambda p: str(p.relative_to(ROOT)))
def test_contexts_are_imported_through_their_package(path):
    wrong = [i.where() for i in inner_imports([path])]
    assert not wrong, (
        f"another context, the kernel or the composition code imports a context (or recall.db) "
        f"through its package, `recall.<context>`, never one of its inner modules: {wrong}"
    )


@pytest.mark.parametrize(
    "path",
    [*python_files("web"), *python_files("workers")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_web_and_workers_import_context_packages_only(path):
    wrong = [i.where() for i in inner_imports([path])]
    assert not wrong, f"web/ and workers/ import `recall.<context>` packages only: {wrong}"


# No cycle between contexts ------------------------------------------------------------------


def unit_of(module: str) -> str | None:
    """The node of the dependency graph a recall module belongs to: its context, recall.db, or
    the leaf module itself; None for composition code and migrations, which nothing imports."""
    if not module.startswith("recall.") or any(
        module == root or module.startswith(f"{root}.") for root in (*COMPOSITION, MIGRATIONS)
    ):
        return None
    ctx = context_of(module)
    return f"recall.{ctx}" if ctx else ".".join(module.split(".")[:2])


def dependency_graph(module_level_only: bool) -> dict[str, dict[str, list[Import]]]:
    """unit -> unit it imports -> the imports that make the edge."""
    graph: dict[str, dict[str, list[Import]]] = {}
    for path in python_files("recall"):
        source = unit_of(module_name(path))
        if source is None:
            continue
        graph.setdefault(source, {})
        for imported in imports_of(path):
            target = unit_of(imported.target)
            if _allowed_inner(imported) or target in (None, source):
                continue
            if imported.module_level or not module_level_only:
                graph[source].setdefault(target, []).append(imported)
    return graph


def cycles(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """The strongly connected groups of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def describe(group: list[str], graph: dict[str, dict[str, list[Import]]]) -> str:
    edges = [
        f"{source} -> {target} ({graph[source][target][0].where()})"
        for source in group
        for target in group
        if target in graph.get(source, {})
    ]
    return "; ".join(edges)


@pytest.mark.parametrize("module_level_only", [True, False], ids=["module-level", "all-imports"])
def test_no_cycle_between_contexts(module_level_only):
    graph = dependency_graph(module_level_only)
    found = [describe(group, graph) for group in cycles(graph)]
    assert not found, f"no cycle between contexts (nor through recall.db or a leaf): {found}"


# A context's tables are written by that context only ----------------------------------------


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def tables_of() -> dict[str, tuple[str, dict[str, str]]]:
    """Context -> (its module, {table class: table name}) from its tables.py."""
    owned: dict[str, tuple[str, dict[str, str]]] = {}
    for package in (*CONTEXTS, "db"):
        path = ROOT / "recall" / package / "tables.py"
        if not path.is_file():
            continue
        classes: dict[str, str] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).split(".")[-1] == "Table" for base in node.bases
            ):
                named = [k.value for k in node.keywords if k.arg == "tablename"]
                given = named[0].value if named and isinstance(named[0], ast.Constant) else None
                classes[node.name] = given or snake_case(node.name)
        owned[package] = (str(path.relative_to(ROOT)), classes)
    return owned


def owner_of(table: str) -> str | None:
    for package, (_, classes) in tables_of().items():
        if table in classes.values():
            return package
    return None


# SQL keywords are written upper case here: a lower case "update" in prose is not SQL.
SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+\"?([A-Za-z_]\w*)")
BULK_WRITES = {"insert_many", "copy"}
ORM_WRITES = {"insert", "update", "delete"}


@dataclass(frozen=True)
class TableWrite:
    path: Path
    line: int
    table: str
    statement: str

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} writes `{self.table}` ({self.statement})"


def _text_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def table_writes(path: Path) -> Iterator[TableWrite]:
    """The tables a module writes: in SQL text, through recall.db's bulk writes, or Piccolo."""
    classes = {name: table for _, found in tables_of().values() for name, table in found.items()}
    tree = ast.parse(path.read_text(), filename=str(path))
    # An f-string is read whole, not again part by part.
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
             for part in node.values}  # fmt: skip
    for node in ast.walk(tree):
        text = _text_of(node)
        if text is not None and id(node) not in parts:
            for match in SQL_WRITE.finditer(text):
                if owner_of(match[2]):
                    yield TableWrite(path, node.lineno, match[2], " ".join(match[0].split()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            if method in BULK_WRITES and node.args and (table := _text_of(node.args[0])):
                yield TableWrite(path, node.lineno, table, f"{method}({table!r}, ...)")
            if method in ORM_WRITES and isinstance(owner, ast.Name) and owner.id in classes:
                yield TableWrite(path, node.lineno, classes[owner.id], f"{owner.id}.{method}(...)")


def cross_context_writes() -> Iterator[tuple[str, TableWrite]]:
    for ctx in CONTEXTS:
        for path in python_files(f"recall/{ctx}"):
            for write in table_writes(path):
                owner = owner_of(write.table)
                if write.table not in SHARED_TABLES and owner not in (None, ctx):
                    yield ctx, write


def test_tables_are_known():
    owned = tables_of()
    assert set(CONTEXTS) - {"regulatory"} <= set(owned)
    assert owner_of("consignee") == "masterdata"
    assert owner_of("recall_deadline") == "recalls"
    assert owner_of("counter") == "db"


@pytest.mark.parametrize("ctx", CONTEXTS)
def test_a_context_writes_only_its_own_tables(ctx):
    wrong = [
        f"{write.where()}, a table of recall.{owner_of(write.table)}"
        for writer, write in cross_context_writes()
        if writer == ctx
    ]
    assert not wrong, (
        f"recall.{ctx} writes only its own tables; others call a function the owner exports: "
        f"{wrong}"
    )


def test_a_worker_process_loads_no_litestar():
    # `recall worker` sets up its logging from web.observability; Litestar would add ~11 MB
    # to every worker of a fan-out.
    import subprocess
    import sys

    code = (
        "import sys, workers.settings, web.observability\n"
        "assert 'litestar' not in sys.modules, 'litestar loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_recall_statuses_notices_reads_are_the_ones_recalls_stores():
    # notices reads the recall table's status; recalls imports notices, so it cannot import them
    from recall.notices import _consignee, _reminders
    from recall.recalls import RecallStatus

    assert _consignee.PROPOSED == RecallStatus.PROPOSED
    assert _consignee.CLOSED == RecallStatus.CLOSED
    assert _reminders.IN_PROGRESS == RecallStatus.IN_PROGRESS
