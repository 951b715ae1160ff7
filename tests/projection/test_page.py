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
    assert len(at.get("component_instance")) == 2  # one map viewer per column
    assert sum("Every parameter of this" in c.value for c in at.caption) == 2


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


def test_a_selection_in_the_viewer_shows_its_images_counts_and_exports(store, make_run):
    run_id = make_run()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    at.radio[0].set_value("pca")
    at.multiselect[0].set_value([next(o for o in at.multiselect[0].options if o.startswith(run_id))])
    at.select_slider[0].set_value(500)
    at.run()
    assert not at.exception
    # what the viewer sends back after a box selection and a click: map positions (and junk, which is dropped)
    at.session_state["viewer_0"] = {"seq": 3, "clicked": 5, "selection": [0, 1, 2, 3, "4", -1, 10 ** 9], "want": []}
    at.run()
    assert not at.exception and not at.error
    line = next(m.value for m in at.markdown if "selected" in m.value)
    assert line.startswith("**4 selected**")
    labels = [b.label for b in at.get("download_button")]
    assert "Selection: ids and labels (CSV)" in labels and "Selection: images (zip)" in labels
    assert len(at.get("image")[0].captions) == 4  # the selection's grid, one image per selected point


def test_too_few_points_draw_with_the_engines_one_line_note(store, tmp_path):
    import torch
    from PIL import Image

    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.projection import warm_up
    from replearn_core.runs.context import RunContext

    warm_up()  # UMAP compiled: the page maps with it, not with PCA meanwhile
    folder = tmp_path / "few"
    for c in ("a", "b"):
        (folder / c).mkdir(parents=True)
        for i in range(5):
            Image.new("RGB", (16, 16), (40 * i, 100 * (c == "a"), 0)).save(folder / c / f"{i}.png")
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": f"folder:{folder}", "backbone": "small_cnn",
                                      "image_size": 32})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                     meta={"backbone": "small_cnn", "epoch": 1})
    ctx.close()
    store.finish(run_id, "finished")
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception and not at.error
    notes = [c.value for c in at.caption if "fewer points" in c.value]
    assert notes and len(notes[0].splitlines()) == 1, [c.value[:150] for c in at.caption] + [i.value for i in at.info]
    assert len(at.get("component_instance")) == 1  # the map is drawn
