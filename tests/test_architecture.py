"""The import map of docs/architecture.md, enforced: data flows one way and no module cycles.

Every import of every module in extract/ and versions/ is read from its AST (also imports
inside functions, which run later but still tie the modules together).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extract", "versions")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_pkg]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(src: str, allowed: tuple[str, ...] = (), banned: tuple[str, ...] = ()) -> list:
    return sorted(
        (m, t)
        for m, targets in GRAPH.items()
        if _in(m, src)
        for t in targets
        if (banned and any(_in(t, b) for b in banned))
        or (allowed and not any(_in(t, a) for a in allowed))
    )


def test_the_walk_sees_the_project() -> None:
    assert {"extract.parse", "extract.blocks.ruler", "versions.sources.loaded"} <= set(GRAPH)
    assert "extract.structure" in GRAPH["extract.parse"]
    assert "extract.blocks.state" in GRAPH["extract.blocks.ruler"]


@pytest.mark.parametrize(
    ("src", "allowed", "banned"),
    [
        ("extract", ("extract",), ()),
        ("versions.sources", ("extract", "versions.sources"), ()),
        ("versions.history", (), ("versions.kb", "versions.check", "versions.cli")),
        ("versions.kb", (), ("versions.cli", "versions.check")),
        ("extract.blocks", ("extract.blocks", "extract.model", "extract.normalize",
                            "extract.numerals"), ()),
    ],
)  # fmt: skip
def test_imports_go_one_way(src: str, allowed: tuple[str, ...], banned: tuple[str, ...]) -> None:
    assert _violations(src, allowed, banned) == []


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    assert _cycles() == []
