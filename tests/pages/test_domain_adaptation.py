

from replearn_core.adaptation.job import AdaptConfig
from replearn_core.runs import execute_run
from tests.pages.conftest import choose_missing_folder, page

PAGE = "pages/7_domain_adaptation.py"



def test_page_shows_controls_and_the_method_formula():
    at = page(PAGE).run()
    assert not at.exception
    assert {"Source domain", "Target domain", "Method", "Backbone"} <= {s.label for s in at.sidebar.selectbox}
    assert all(w.help for w in at.sidebar.selectbox)
    assert at.latex and any("No adaptation run yet" in i.value for i in at.info)
    method = next(s for s in at.sidebar.selectbox if s.label == "Method")
    method.set_value("all").run()
    assert not at.exception


def test_a_finished_run_shows_before_after_accuracy_and_feature_maps(store):
    config = AdaptConfig(method="mmd", epochs=1, batch_size=32, max_source_images=96, eval_images=30, image_size=16)
    run_id = store.create_run("adapt", config.to_dict())
    execute_run(store, run_id)
    at = page(PAGE).run()
    assert not at.exception
    assert {m.label for m in at.metric} == {"Target accuracy before (source only)", "Target accuracy after"}
    assert any("Domain gap" in c.value and "smaller" in c.value for c in at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # accuracy bars + a map before and a map after
    at.radio[0].set_value("class").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    assert len(at.dataframe) == 1


def test_a_missing_folder_is_refused_before_queueing(tmp_path, store):
    errors = choose_missing_folder(page(PAGE).run(), "Source domain", tmp_path / "missing")
    assert any("no such folder" in e for e in errors)
    assert store.list_runs(kind="adapt") == []
