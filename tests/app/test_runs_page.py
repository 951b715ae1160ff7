from pathlib import Path

from streamlit.testing.v1 import AppTest

from replearn_core.runs.store import RunStore

ROOT = str(Path(__file__).resolve().parents[2])


def test_empty_store_says_how_to_start():
    at = AppTest.from_file(ROOT + "/pages/2_runs.py", default_timeout=60).run()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)


def test_lists_runs_with_their_status(data_dir):
    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "byol", "dataset": "shapes"})
    store.log_metrics(run_id, [(0, "knn_acc", 0.2), (10, "knn_acc", 0.5)])
    store.finish(run_id, "failed", error="worker process was killed by SIGKILL")
    at = AppTest.from_file(ROOT + "/pages/2_runs.py", default_timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["id"]) == [run_id]
    assert frame["status"][0] == "failed"
    assert abs(frame["best_knn_acc"][0] - 0.5) < 1e-9


def test_home_page_renders():
    at = AppTest.from_file(ROOT + "/home.py", default_timeout=60).run()
    assert not at.exception
    assert "replearn" in at.title[0].value
