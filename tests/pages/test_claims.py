"""The Claims page through AppTest: no table yet, a measured table, and a row's button queueing its runs."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from replearn_core.claims.table import data_table_path, save_table
from replearn_core.runs.store import RunStore

ROOT = str(Path(__file__).resolve().parents[2])


def _page():
    return AppTest.from_file(ROOT + "/pages/8_claims.py", default_timeout=60)


def test_without_a_table_the_page_says_so_and_lists_the_claims():
    at = _page().run()
    assert not at.exception
    assert any("No claims table has been measured yet" in i.value for i in at.info)
    assert not at.dataframe  # no numbers are made up
    assert any("SimSiam collapses without its stop-gradient" in m.value for m in at.markdown)
    assert len(at.button) >= 8
    assert all(w.help for w in list(at.button) + list(at.sidebar.slider) + list(at.sidebar.number_input))


def test_a_measured_table_shows_its_date_device_verdicts_and_explanations(synthetic_table):
    save_table(synthetic_table, data_table_path())
    at = _page().run()
    assert not at.exception
    header = " ".join(m.value for m in at.markdown)
    assert synthetic_table["date"] in header and "cpu (2 threads)" in header and "90 s" in header
    frame = at.dataframe[0].value
    assert len(frame) == len(synthetic_table["rows"])
    assert set(frame["verdict"]) >= {"✅ reproduced", "➖ not reproduced", "🔄 reversed"}
    explanations = [w.value for w in at.warning]
    assert sum(1 for r in synthetic_table["rows"] if r["why"]) == len(explanations)
    assert any("opposite order" in e for e in explanations)


def test_a_rows_button_queues_its_runs_as_ordinary_runs(data_dir):
    at = _page().run()
    next(s for s in at.sidebar.slider if s.label == "Seconds per self-supervised run").set_value(10)
    at.button(key="start_simsiam_stop_gradient").click().run()
    assert not at.exception
    store = RunStore(data_dir)
    runs = store.list_runs(kind="ssl")
    try:
        assert len(runs) == 2
        assert {r.config["method"] for r in runs} == {"simsiam"}
        assert sorted(str(r.config["options"]) for r in runs) == ["{'stop_gradient': False}", "{'stop_gradient': True}"]  # every option stored
        assert all(r.config["time_budget_s"] == 10 for r in runs)
        assert any("Runs page" in s.value for s in at.success)
    finally:  # stop the worker before the test's data folder goes away
        for run in runs:
            store.request_cancel(run.id)
        deadline = time.time() + 60
        while time.time() < deadline and any(store.get_run(r.id).active for r in runs):
            time.sleep(0.5)


def test_the_apps_navigation_reaches_the_claims_page():
    at = AppTest.from_file(ROOT + "/app.py", default_timeout=60).run()
    at.switch_page("pages/8_claims.py").run()
    assert not at.exception
    assert at.title[0].value == "📜 Claims"


def test_a_smoke_table_is_flagged_as_such(synthetic_table):
    save_table({**synthetic_table, "budget_s": 2.0, "overrides": {"ssl": {"max_train_images": 128}}}, data_table_path())
    at = _page().run()
    assert not at.exception
    assert any("smoke-test settings" in w.value for w in at.warning)
