"""The layers of replearn_core (see its package docstring): every module imports on its own, module-level
imports make no cycle, and imports point down only.

Layers, bottom to top: the shared base (the modules at the package root, ``data/``, ``runs/``), the
capabilities (one folder each), the claims table (which plans and scores the capabilities' runs), the command
line (``commands/``, ``cli.py``, ``__main__.py``). The import graph
is read with ``ast`` from module-level imports (function bodies and ``if TYPE_CHECKING:`` blocks are left out:
they do not run on import).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "replearn_core"
CAPABILITIES = {"adaptation", "cyclegan", "incremental", "metric", "projection", "ssl", "transfer"}
CLAIMS = {"claims"}  # measures the capabilities' runs: above them, below the command line
COMMAND_LINE = {"commands", "cli", "__main__"}
LAYERS = [CAPABILITIES, CLAIMS, COMMAND_LINE]  # bottom to top, above the shared base (every other area)


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    """The Import / ImportFrom nodes that run when the module is imported."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(packages: bool = True) -> dict[str, set[str]]:
    """module -> the package's modules it imports at module level.

    ``from a.b import c`` counts as importing ``a.b.c`` where that is a module, else ``a.b``. Importing a
    module also runs its packages' ``__init__``; with ``packages`` those count too, except the importer's own
    packages (already being imported when it runs).
    """
    modules = module_files()
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets = set()
        for node in _module_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([base] if base else []))
                named = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                         for alias in node.names]
            for target in named:
                if target not in modules:
                    continue
                targets.add(target)
                if packages:
                    targets.update(a for a in _ancestors(target) if a not in _ancestors(name) and a != name)
        targets.discard(name)
        graph[name] = targets
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def area(module: str) -> str:
    """The folder (or root module) right under the package: 'ssl', 'runs', 'device', 'cli', ..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_find_cycles_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_the_package():
    graph = import_graph()
    assert "replearn_core.ssl.config" in graph["replearn_core.ssl.methods.base"]
    assert "replearn_core.runs.config" in graph["replearn_core.ssl.config"]
    assert "replearn_core.runs" in graph["replearn_core.metric.job"]  # a package's __init__ runs too (runs.context)


def test_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "module-level import cycles among replearn_core modules:\n" + \
        "\n".join(" <-> ".join(c) for c in cycles)


def test_ssl_config_does_not_import_the_methods():
    """The circle of issue 9: config.validate imported the methods, which import config."""
    source = (ROOT / PACKAGE / "ssl" / "config.py").read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("replearn_core.ssl.methods")}


def layer(module: str) -> int:
    """0 for the shared base, then 1, 2, 3 for the capabilities, the claims table and the command line."""
    return next((i + 1 for i, areas in enumerate(LAYERS) if area(module) in areas), 0)


def test_layer_reads_each_area():
    assert [layer(f"{PACKAGE}.{name}") for name in ("runs.store", "ssl.job", "claims.plan", "commands.train")] == \
        [0, 1, 2, 3]


def test_no_capability_imports_another():
    found = sorted((module, target) for module, targets in import_graph(packages=False).items()
                   if area(module) in CAPABILITIES for target in targets
                   if area(target) in CAPABILITIES and area(target) != area(module))
    assert not found, f"a capability folder imports another one (move the shared piece below them): {found}"


def test_no_capability_imports_another_even_inside_a_function():
    """Deferred imports too: a capability reaches another's code through nothing but the shared base."""
    found = []
    for module, path in module_files().items():
        if area(module) not in CAPABILITIES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [(module, name) for name in names if name.startswith(PACKAGE + ".")
                      and area(name) in CAPABILITIES and area(name) != area(module)]
    assert not found, f"a capability imports another one: {sorted(found)}"


def test_imports_point_down():
    """The shared base imports no capability, claims or command; a capability no claims or command; the
    claims no command."""
    wrong = sorted((module, target) for module, targets in import_graph(packages=False).items()
                   if module != PACKAGE for target in targets if layer(target) > layer(module))
    assert not wrong, f"imports that point up a layer: {wrong}"


_IMPORT_EACH = """
import importlib, json, sys, traceback
failed = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "replearn_core" or m.startswith("replearn_core.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""


def test_every_module_imports_on_its_own():
    """Each module in a fresh interpreter, with no other replearn_core module imported before it (so none works
    only because another was imported first). One interpreter for all, emptied of replearn_core between modules:
    a new one per module would import torch a hundred times."""
    names = sorted(name for name in module_files() if not name.endswith("__main__"))  # that one runs the CLI
    out = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *names], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert not failed, "\n".join(f"{name}:\n{error}" for name, error in failed.items())
