

from replearn_core.runs import execute_run
from replearn_core.metric.config import MetricConfig
from tests.pages.conftest import choose_missing_folder, page

PAGE = "pages/6_metric_learning.py"
TINY = dict(dataset="digits", epochs=1, batch_size=40, max_train_images=200, eval_images=60, knn_bank_images=100,
            image_size=16)



def test_page_shows_controls_formula_and_empty_states():
    at = page(PAGE).run()
    assert not at.exception
    assert {"Loss", "Dataset", "Backbone"} <= {s.label for s in at.sidebar.selectbox}
    assert all(w.help for w in at.sidebar.selectbox) and all(w.help for w in at.sidebar.slider)
    assert at.latex
    assert any("No metric-learning run yet" in i.value for i in at.info)
    loss = next(s for s in at.sidebar.selectbox if s.label == "Loss")
    loss.set_value("arcface").run()
    assert not at.exception and any("ArcFace" in s.value for s in at.subheader)
    # the loss's own declared settings, and no other loss's: ArcFace has a scale, no triplet mining
    labels = {w.label for w in [*at.sidebar.slider, *at.sidebar.radio, *at.sidebar.toggle, *at.sidebar.number_input]}
    assert {"Scale s", "Margin", "Images per class in a batch (m)"} <= labels and "Triplet mining" not in labels
    assert all(w.help for w in [*at.sidebar.slider, *at.sidebar.radio, *at.sidebar.toggle])


def test_search_and_comparison_table_with_a_finished_run(store):
    run_id = store.create_run("metric", MetricConfig(method="triplet", **TINY).to_dict())
    execute_run(store, run_id)
    at = page(PAGE).run()
    assert not at.exception
    assert len(at.dataframe) == 1  # the comparison table
    assert any("neighbours share the query's class" in c.value for c in at.caption)
    upload_radio = next(r for r in at.radio if r.label == "Query")
    upload_radio.set_value("upload").run()
    assert not at.exception


def test_train_button_with_a_bad_folder_shows_an_error(tmp_path):
    errors = choose_missing_folder(page(PAGE).run(), "Dataset", tmp_path / "missing")
    assert any("no such folder" in e for e in errors)


def test_a_run_deleted_meanwhile_falls_back_to_the_newest(store):
    """The session still names a run that was deleted (from the Runs page, by the teacher): the live view shows
    the newest run instead of failing."""
    run_id = store.create_run("metric", MetricConfig(method="triplet", **TINY).to_dict())
    at = page(PAGE)
    at.session_state["metric_run_id"] = "20990101-000000-abcdef"
    at.run()
    assert not at.exception
    assert any(run_id in s.value for s in at.subheader)
