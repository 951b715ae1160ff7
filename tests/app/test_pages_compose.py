"""Pages compose the shared panels and draw their controls from declarations: each stays short and names no
method, strategy or projection (a new one appears on its page without editing the page)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "pages").glob("*.py"))


def registered_names() -> set[str]:
    from replearn_core.adaptation import ADAPT_METHODS
    from replearn_core.metric import METRIC_METHODS
    from replearn_core.projection import PROJECTIONS
    from replearn_core.ssl.methods import METHODS
    from replearn_core.transfer import STRATEGIES

    from replearn_core.incremental import STRATEGIES as INCREMENTAL_STRATEGIES

    return set(METHODS) | set(METRIC_METHODS) | set(ADAPT_METHODS) | set(STRATEGIES) | set(PROJECTIONS) | \
        set(INCREMENTAL_STRATEGIES)


def string_literals(path: Path) -> set[str]:
    """The page's string constants, docstrings left out."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_is_short(path):
    assert len(path.read_text().splitlines()) < 100


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_names_no_method(path):
    assert string_literals(path) & registered_names() == set()


def test_the_check_sees_a_method_named_on_a_page(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('"""A page that talks about dann in its docstring only."""\nif method == "dann":\n    pass\n')
    assert string_literals(page) & registered_names() == {"dann"}
