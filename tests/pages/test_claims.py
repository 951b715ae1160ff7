"""The Claims page through AppTest: no table yet, a measured table, and a row's button queueing its runs."""



from replearn_core.claims.table import data_table_path, save_table
from replearn_core.runs.store import RunStore
from tests.claims.conftest import no_shipped_table, synthetic_table  # noqa: F401 - the claims' own fixtures
from tests.pages.conftest import cancel_and_wait, page

PAGE = "pages/8_claims.py"



def test_without_a_table_the_page_says_so_and_lists_the_claims():
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    assert any("No claims table has been measured yet" in i.value for i in at.info)
    assert not at.dataframe  # no numbers are made up
    assert any("SimSiam collapses without its stop-gradient" in m.value for m in at.markdown)
    assert len(at.button) >= 8
    assert all(w.help for w in list(at.button) + list(at.sidebar.slider) + list(at.sidebar.number_input))


def test_a_measured_table_shows_its_date_device_verdicts_and_explanations(synthetic_table):
    save_table(synthetic_table, data_table_path())
    at = page(PAGE, timeout=60).run()
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
    at = page(PAGE, timeout=60).run()
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
        cancel_and_wait(store, runs)


def test_the_apps_navigation_reaches_the_claims_page():
    at = page("app.py", timeout=60).run()
    at.switch_page("pages/8_claims.py").run()
    assert not at.exception
    assert at.title[0].value == "📜 Claims"


def test_a_smoke_table_is_flagged_as_such(synthetic_table):
    save_table({**synthetic_table, "budget_s": 2.0, "overrides": {"ssl": {"max_train_images": 128}}}, data_table_path())
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    assert any("smoke-test settings" in w.value for w in at.warning)
