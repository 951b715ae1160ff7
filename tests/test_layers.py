"""The layers of replearn_core (see its package docstring): every module imports on its own, imports make no
cycle, and imports point down only.

Layers, bottom to top: the shared base (the modules at the package root, ``data/``, ``runs/``), the
capabilities (one folder each), the claims table (which plans and scores the capabilities' runs), the command
line (``commands/``, ``cli.py``, ``__main__.py``). The import graph
is read with ``ast`` from every ``import`` and ``from ... import`` of a module, those inside functions too: an
import deferred into a function still ties the two modules, and a circle closed through one is still a circle.
Only ``if TYPE_CHECKING:`` blocks are left out (they never run).
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


def _imports(tree: ast.Module):
    """Every Import / ImportFrom node of a module, at module level or inside a function or class, except
    those under ``if TYPE_CHECKING:``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(packages: bool = True) -> dict[str, set[str]]:
    """module -> the package's modules it imports, anywhere in the module (:func:`_imports`).

    ``from a.b import c`` counts as importing ``a.b.c`` where that is a module, else ``a.b``. Importing a
    module also runs its packages' ``__init__``; with ``packages`` those count too, except the importer's own
    packages (already being imported when it runs).
    """
    modules = module_files()
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
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


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One circle through a strongly connected component, as a path that ends where it starts:
    ``[a, b, c, a]`` for a -> b -> c -> a (the shortest one back to its first module)."""
    members, start = set(component), component[0]
    previous, queue = {start: None}, [start]
    for here in queue:  # breadth first, inside the component
        for there in sorted(graph.get(here, ())):
            if there == start:
                path = [here]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return path[::-1] + [start]
            if there in members and there not in previous:
                previous[there] = here
                queue.append(there)
    return component


def area(module: str) -> str:
    """The folder (or root module) right under the package: 'ssl', 'runs', 'device', 'cli', ..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_find_cycles_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert cycle_path(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_follows_imports_inside_functions(tmp_path):
    """A circle closed through an import inside a function is seen (a module-level import graph missed four)."""
    tree = ast.parse("import os\n\ndef late():\n    from replearn_core.runs import store\n"
                     "    import replearn_core.paths\n\nif TYPE_CHECKING:\n    from replearn_core import cards\n")
    found = {a.name for n in _imports(tree) if isinstance(n, ast.Import) for a in n.names} | \
        {n.module for n in _imports(tree) if isinstance(n, ast.ImportFrom)}
    assert found == {"os", "replearn_core.runs", "replearn_core.paths"}
    graph = import_graph()
    assert "replearn_core.backbones" in graph["replearn_core.ssl.config"]  # inside TrainConfig.validate


def test_import_graph_reads_the_package():
    graph = import_graph()
    assert "replearn_core.ssl.config" in graph["replearn_core.ssl.methods.base"]
    assert "replearn_core.runs.config" in graph["replearn_core.ssl.config"]
    assert "replearn_core.runs" in graph["replearn_core.metric.job"]  # a package's __init__ runs too (runs.context)


def test_no_import_cycles():
    """No circle among the package's modules, through any import (a package's ``__init__`` counts: importing
    ``a.b`` runs ``a``)."""
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles among replearn_core modules:\n" + \
        "\n".join(" -> ".join(cycle_path(graph, c)) for c in cycles)


def test_ssl_config_does_not_import_the_methods():
    """The circle of issue 9: config.validate imported the methods, which import config."""
    source = (ROOT / PACKAGE / "ssl" / "config.py").read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("replearn_core.ssl.methods")}


PAGE_FACING = ("lab", "views")  # the modules each capability offers its page (lab.py) and what it draws (views.py)


def reached(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module ``start`` imports, directly or through others: module -> the module that imports it on the
    way (breadth first, so each path is a shortest one)."""
    via, queue = {start: ""}, [start]
    for here in queue:
        for there in sorted(graph.get(here, ())):
            if there not in via:
                via[there] = here
                queue.append(there)
    return via


def job_modules() -> list[str]:
    """The module of every job kind (runs.jobs.JOBS: what a worker process imports to run it)."""
    from replearn_core.runs.jobs import JOBS

    return sorted({target.split(":")[0] for target in JOBS.values()})


def test_no_job_imports_page_facing_code():
    """runs/jobs.py: the server never imports training code and the worker never imports page code. No job
    module reaches a capability's lab or views module, directly or through any other import."""
    graph = import_graph()
    found = []
    for job in job_modules():
        via = reached(graph, job)
        for module in sorted(via):
            if module.rsplit(".", 1)[-1] in PAGE_FACING:
                path = [module]
                while via[path[-1]]:
                    path.append(via[path[-1]])
                found.append(" -> ".join(reversed(path)))
    assert not found, "job modules that import page-facing code:\n" + "\n".join(found)


def test_reached_gives_the_path():
    via = reached({"job": {"a"}, "a": {"lab"}, "lab": set()}, "job")
    assert via == {"job": "", "a": "job", "lab": "a"}


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
