"""docs/reliability.md names a test for every case: each named test exists (a renamed test breaks this)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cited_tests() -> list[tuple[str, str]]:
    """(test file, test function) for every `tests/…py::name` and the `::name` that follow it in a cell."""
    cited = []
    for line in (ROOT / "docs" / "reliability.md").read_text().splitlines():
        for cell in line.split("|"):
            current = None
            for file, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?", cell):
                current = file or current
                if file and not name:
                    cited.append((file, ""))  # a whole test file
                elif name:
                    cited.append((current, name))
    return cited


def test_every_test_the_reliability_table_names_exists():
    cited = cited_tests()
    assert len(cited) > 40
    missing = [f"{file}::{name}" for file, name in cited
               if file is None or not (ROOT / file).is_file()
               or (name and not re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.M))]
    assert not missing, missing
