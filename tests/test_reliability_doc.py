"""docs/reliability.md and docs/security.md name a test for every case: each named test exists (a renamed test
breaks this)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cited_tests(doc: str = "reliability.md") -> list[tuple[str, str]]:
    """(test file, test function) for every `tests/…py::name` and the `::name` that follow it in a cell."""
    cited = []
    for line in (ROOT / "docs" / doc).read_text().splitlines():
        for cell in line.split("|"):
            current = None
            for file, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?", cell):
                current = file or current
                if file and not name:
                    cited.append((file, ""))  # a whole test file
                elif name:
                    cited.append((current, name))
    return cited


@pytest.mark.parametrize("doc, at_least", [("reliability.md", 40), ("security.md", 40)])
def test_every_test_the_tables_name_exists(doc, at_least):
    cited = cited_tests(doc)
    assert len(cited) > at_least
    missing = [f"{file}::{name}" for file, name in cited
               if file is None or not (ROOT / file).is_file()
               or (name and not re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.M))]
    assert not missing, missing
