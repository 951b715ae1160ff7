"""The table file: saved and read back, the newest copy wins, broken files are ignored, the page's items."""

import json

from replearn_core.claims import CLAIMS
from replearn_core.claims.table import (data_table_path, latest_table, markdown_table, page_items, read_table,
                                        save_table)


def test_save_and_read_back(tmp_path, synthetic_table):
    path = save_table(synthetic_table, tmp_path / "t" / "latest.json")
    assert read_table(path)["rows"] == json.loads(json.dumps(synthetic_table["rows"]))
    assert "通过 SimCLR 预训练" in path.read_text(encoding="utf-8")  # Chinese kept readable


def test_newest_copy_wins_and_broken_files_are_ignored(tmp_path, synthetic_table):
    older, newer, broken = tmp_path / "older.json", tmp_path / "newer.json", tmp_path / "broken.json"
    save_table({**synthetic_table, "date": "2026-01-01T00:00:00+00:00", "device": "old"}, older)
    save_table({**synthetic_table, "date": "2026-06-01T00:00:00+00:00", "device": "new"}, newer)
    broken.write_text("{not json")
    table = latest_table([(older, "shipped"), (broken, "data folder"), (newer, "data folder")])
    assert table["device"] == "new" and table["origin"].startswith("data folder")
    assert latest_table([(broken, "x"), (tmp_path / "missing.json", "y")]) is None


def test_the_data_folder_copy_is_found_by_default(synthetic_table):
    assert latest_table() is None  # no measurement yet, no shipped table (conftest hides it)
    save_table(synthetic_table, data_table_path())
    assert latest_table()["date"] == synthetic_table["date"]


def test_markdown_lists_every_row_and_each_explanation(synthetic_table):
    text = markdown_table(synthetic_table)
    assert text.count("\n| ") == len(CLAIMS) + 1  # header and one line per claim
    assert "cpu (2 threads)" in text and "90 s per self-supervised run" in text
    assert sum(1 for r in synthetic_table["rows"] if r["why"]) == text.count("\n- ")


def test_page_items_without_a_table_list_the_claims_and_their_runs():
    items = page_items(None, budget_s=60, seeds=1)
    assert [i["id"] for i in items] == [c.id for c in CLAIMS]
    assert all(not i["measured"] and i["verdict"] is None and i["runs"] for i in items)
    simsiam = next(i for i in items if i["id"] == "simsiam_stop_gradient")
    assert simsiam["runs"] == ["claims · SimSiam · seed 0 (60 s)",
                               "claims · SimSiam without stop-gradient · seed 0 (60 s)"]


def test_page_items_keep_rows_of_claims_no_longer_declared(synthetic_table):
    old_row = {**synthetic_table["rows"][0], "id": "retired_claim", "claim": "An older claim."}
    items = page_items({**synthetic_table, "rows": synthetic_table["rows"] + [old_row]})
    retired = next(i for i in items if i["id"] == "retired_claim")
    assert retired["measured"] and not retired["startable"]  # shown, not hidden; no runs to start
    assert len(items) == len(CLAIMS) + 1
