"""The README is the entrance: the two commands first, then what the lab is, a tour, the engine map, how a run
flows and how to add a method; its data table lists every dataset, and its links and docs/operations.md's resolve."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_come_first_then_the_entrance_in_order():
    first_block = README.split("```")[1]
    assert "make app" in first_block and "make test" in first_block
    assert README.index("make app") < README.index("## ")
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    entrance = ["What it is", "A 2-minute tour", "Engine map", "How a run flows", "Add a method"]
    assert headings[:len(entrance)] == entrance
    flow = README.split("## How a run flows")[1].split("## ")[0]
    steps = re.findall(r"^\d\. \*\*(.+?)\*\*", flow, flags=re.M)
    assert steps == ["Train", "Queue", "Warm worker", "`fit`", "Store", "Live chart"]


def test_the_data_table_lists_every_registered_dataset():
    from replearn_core.data import DATASETS

    table = README.split("## Data")[1].split("## ")[0]
    listed = re.findall(r"^\| `([^`]+)`", table, flags=re.M)
    assert set(DATASETS) | {"folder:PATH"} == set(listed)


def test_the_four_files_of_a_method_are_the_registrys_checklist():
    import replearn_core.ssl.methods as methods

    files = re.findall(r"^\d\. `([^`]+)`", README.split("## Add a method")[1].split("## ")[0], flags=re.M)
    assert len(files) == 4
    assert all(path in methods.__doc__ for path in files)


def test_every_relative_link_resolves():
    for page in (ROOT / "README.md", ROOT / "docs" / "operations.md"):
        text = page.read_text(encoding="utf-8")
        targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if not t.startswith(("http", "#"))]
        assert targets, page
        assert [t for t in targets if not (page.parent / t).exists()] == [], page
