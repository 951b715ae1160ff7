from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "3_feature_maps.py")


def test_page_maps_a_run_and_its_control_side_by_side(store, make_run):
    run_id = make_run()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    chooser = at.multiselect[0]
    control = next(o for o in chooser.options if o.startswith("untrained control") and run_id in o)
    run_option = next(o for o in chooser.options if o.startswith(run_id))
    chooser.set_value([run_option, control])
    at.select_slider[0].set_value(500)
    at.run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels.count("kNN accuracy") == 2 and labels.count("Map silhouette (2-D)") == 2
    assert len(at.get("plotly_chart")) == 2


def test_page_says_tsne_cannot_place_new_points_and_reports_missing_features(store, make_run):
    make_run()
    empty = store.create_run("ssl", {"method": "byol", "dataset": "shapes"})  # queued, no checkpoint yet
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert {"n_neighbors", "min_dist"} <= {s.label for s in at.slider}  # UMAP's declared knobs
    at.radio[0].set_value("tsne")
    at.run()
    assert any("cannot place new points" in i.value for i in at.info)
    assert "Perplexity" in {s.label for s in at.slider} and "n_neighbors" not in {s.label for s in at.slider}
    assert any(t.label == "Animate t-SNE unfolding" for t in at.toggle)  # only the projection that animates
    at.radio[0].set_value("pca")
    at.run()
    assert not {"Perplexity", "n_neighbors"} & {s.label for s in at.slider}
    assert not any(t.label == "Animate t-SNE unfolding" for t in at.toggle)
    assert not any("cannot place new points" in i.value for i in at.info)
    at.radio[0].set_value("tsne")
    at.run()
    chooser = at.multiselect[0]
    chooser.set_value([next(o for o in chooser.options if o.startswith(empty))])
    at.run()
    assert not at.exception
    assert any("no stored encoder checkpoint" in e.value for e in at.error)


def test_page_without_runs_offers_the_untrained_control(store):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    assert at.multiselect[0].value == ["untrained small_cnn on shapes (control)"]
    assert len(at.metric) == 4
