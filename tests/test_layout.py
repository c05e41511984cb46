"""The package's layout holds: dependencies point one way (web and CLI -> formats -> the
record's service -> store, corpus, anchoring -> models), there is no import cycle, no view
imports another view's module, and every module imports."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import annotate

PACKAGE = Path(annotate.__file__).parent

LAYERS = {"errors": 0, "record": 1, "formats": 2, "web": 3, "cli": 4}
"""What may import what: a module imports only from its own layer or lower ones (the top
level `annotate` package and `desk` are outside the layers)."""

RECORD_RANKS = {
    "annotate.record.clock": 0,
    "annotate.record.files": 0,
    "annotate.record.slugs": 0,
    "annotate.record.models": 0,
    "annotate.record.accounts": 0,
    "annotate.record.agreement": 0,
    "annotate.record.settings": 1,
    "annotate.record.reviews": 1,
    "annotate.record.anchoring": 1,
    "annotate.record.similarity": 1,
    "annotate.record.revisions": 1,
    "annotate.record.corpus": 1,
    "annotate.record.store": 1,
    "annotate.record.service": 2,
    "annotate.record.check": 3,
}
"""Inside the record: the service over the store, corpus and anchoring, over the models."""

VIEWS = {"annotate.web.api", "annotate.web.pages", "annotate.web.documents", "annotate.web.login"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path) -> set[str]:
    """The modules of the package that a module imports, anywhere in it (inside functions
    too; not under `if TYPE_CHECKING:`)."""
    name = _name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("annotate"):
                    for alias in child.names:
                        sub = f"{target}.{alias.name}"
                        found.add(sub if _module_path(sub) else target)
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("annotate"))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(name)
    return found


def _module_path(name: str) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for candidate in (PACKAGE / rel.with_suffix(".py"), PACKAGE / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _graph() -> dict[str, set[str]]:
    return {_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(name: str) -> int | None:
    parts = name.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def _rank(name: str) -> int | None:
    for prefix, rank in RECORD_RANKS.items():
        if name == prefix or name.startswith(prefix + "."):
            return rank
    return None


def test_every_module_imports() -> None:
    for name in _graph():
        if name != "annotate.__main__":  # runs the command line
            importlib.import_module(name)


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    done: set[str] = set()
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append(path[path.index(node) :] + [node])
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            walk(nxt, [*path, node])
        done.add(node)

    for node in graph:
        walk(node, [])
    # A package's __init__ that re-exports its own parts is no cycle of the layout.
    real = [
        c for c in cycles if not any(c[i + 1].startswith(c[i] + ".") for i in range(len(c) - 1))
    ]
    assert real == []


def test_dependencies_point_one_way() -> None:
    wrong = []
    for name, imported in _graph().items():
        for target in imported:
            mine, theirs = _layer(name), _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{name} -> {target}")
            a, b = _rank(name), _rank(target)
            if a is not None and b is not None and b > a:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_view_imports_another_view() -> None:
    graph = _graph()
    assert [(v, t) for v in VIEWS for t in graph[v] if t in VIEWS] == []


def test_the_web_the_cli_and_the_formats_go_through_the_service_not_the_store() -> None:
    # Only the store's folder may be named (in messages and settings).
    reaching = re.compile(r"\.store\.(?!root\b)\w+\(")
    for layer in ("web", "cli", "formats"):
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            found = reaching.findall(path.read_text(encoding="utf-8"))
            assert found == [], f"{_name(path)}: {found}"
