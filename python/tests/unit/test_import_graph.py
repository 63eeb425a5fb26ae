"""The package's modules import downwards only: no module imports one that (directly or not)
imports it back, TYPE_CHECKING imports and imports inside functions included."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Dict, List, Set

import pytest

import zerobridge

PACKAGE = Path(zerobridge.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Set[str]:
    """The package modules ``name`` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            for alias in node.names:  # ``from . import _scripting`` names a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("zerobridge"):
            found.add(node.module)  # type: ignore[arg-type]
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("zerobridge"))
    return {m for m in found if m in MODULES and m != name}


def _graph() -> Dict[str, Set[str]]:
    # The package's own __init__ is the facade that re-exports everything; it imports, nothing
    # imports it (checked below).
    return {name: _imports(name, path) for name, path in MODULES.items() if name != "zerobridge"}


def _cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle as a path, or []."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(module: str) -> List[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports_on_its_own(name: str) -> None:
    if name.endswith("._magics"):
        pytest.importorskip("IPython")
    importlib.import_module(name)


def test_no_module_imports_the_package_facade() -> None:
    offenders = sorted(m for m, targets in _graph().items() if "zerobridge" in targets)
    assert offenders == []


def test_there_is_no_import_cycle() -> None:
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
