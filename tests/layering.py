"""The import graph of Refrain's own modules, and the layering rules it must keep (tests/test_layering.py).

Every import counts, including those inside functions (kept lazy for start-up time) and under TYPE_CHECKING: a
lazy import is still a dependency of the design. Cycles are the strongly connected components of the graph.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Rule:
    """Modules under `source` must not import anything under any of `forbidden` (dotted prefixes)."""

    source: str
    forbidden: tuple[str, ...]


RULES = (
    Rule("index", ("explorer", "streamlit")),
    Rule("explorer.logic", ("streamlit",)),
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """{dotted name: file} for every .py file of the given top-level packages below root."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module this file imports (dotted; third-party ones too), with relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                out.add(candidate if candidate in known else base)  # `from pkg import module` names the module
    return out


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    modules = modules_under(root, packages)
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(graph: dict[str, set[str]], rules=RULES) -> list[str]:
    """'a imports b' for every import a rule forbids."""
    found = []
    for name, imported in sorted(graph.items()):
        for rule in rules:
            if _under(name, rule.source):
                found += [f"{name} imports {target}" for target in sorted(imported)
                          if any(_under(target, banned) for banned in rule.forbidden)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of our own modules that import each other, directly or through others (strong components > 1)."""
    names = sorted(graph)
    index = {n: i for i, n in enumerate(names)}
    edges = [(index[a], index[b]) for a, targets in graph.items() for b in targets if b in index and b != a]
    if not edges:
        return []
    rows, cols = zip(*edges)
    matrix = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(len(names), len(names)))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    groups: dict[int, list[str]] = {}
    for name, label in zip(names, labels):
        groups.setdefault(int(label), []).append(name)
    return sorted(g for g in groups.values() if len(g) > 1)
