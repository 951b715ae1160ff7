import json

import numpy as np
import pytest

from replearn_core.projection import FeatureMapError, map_images, map_run


def test_map_run_returns_coordinates_scores_and_notes(store, make_run):
    run_id = make_run()
    fmap = map_run(store, run_id, "pca", max_points=300)
    assert fmap.coords.shape == (300, 2) and fmap.features.shape == (300, 128)
    assert len(fmap.labels) == len(fmap.indices) == 300 and fmap.checkpoint == "checkpoint_epoch_1"
    assert any("random sample of 300 of the 1,000" in n for n in fmap.notes)  # subsampling said plainly
    for name in ("knn_accuracy", "linear_probe_accuracy", "kmeans_nmi", "map_silhouette"):
        assert fmap.scores[name] is not None
    assert 0.0 <= fmap.scores["knn_accuracy"] <= 1.0 and fmap.wall_s > 0
    # the feature scores are on the run's own evaluation images, not on the map's 300 points
    assert (fmap.scores["bank_images"], fmap.scores["heldout_images"], fmap.scores["knn_k"]) == (500, 200, 20)
    images = map_images(fmap, [0, 5])
    assert images.shape == (2, 3, 32, 32) and images.dtype.__str__() == "torch.uint8"
    summary = json.loads(json.dumps(fmap.summary()))
    assert summary["points"] == 300 and summary["method"] == "pca"


def test_feature_map_knn_is_the_knn_the_run_reported_for_its_checkpoint(store, capsys):
    from replearn_core.cli import main

    code = main(["train", "--method", "simclr", "--dataset", "shapes", "--epochs", "2", "--max-train-images", "256",
                 "--knn-bank-images", "200", "--eval-images", "100", "--batch-size", "64", "--json", "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    steps, logged = store.metrics(result["run_id"], ["knn_acc"])["knn_acc"]
    assert steps[-1] == result["steps"] and logged[-1] == result["knn_acc"]  # the last checkpoint's score
    fmap = map_run(store, result["run_id"], "pca", max_points=50)
    assert fmap.checkpoint == "checkpoint_final"
    assert fmap.scores["knn_accuracy"] == pytest.approx(result["knn_acc"], abs=1e-9)
    # an earlier checkpoint: the score logged at that epoch
    epoch_1 = map_run(store, result["run_id"], "pca", max_points=50, checkpoint="checkpoint_epoch_1")
    assert epoch_1.scores["knn_accuracy"] == pytest.approx(logged[steps.index(result["steps"] // 2)], abs=1e-9)
    # what the map shows (points, split, seed) does not change the feature scores
    other = map_run(store, result["run_id"], "pca", {"random_state": 3}, max_points=500, split="all")
    assert other.scores["knn_accuracy"] == fmap.scores["knn_accuracy"]
    assert other.scores["linear_probe_accuracy"] == fmap.scores["linear_probe_accuracy"]


def test_map_is_cached_and_follows_the_newest_checkpoint(store, make_run):
    run_id = make_run(checkpoints=2)
    first = map_run(store, run_id, "umap", {"n_neighbors": 10}, max_points=200)
    again = map_run(store, run_id, "umap", {"n_neighbors": 10}, max_points=200)
    assert first.checkpoint == "checkpoint_epoch_2" and not first.cached and again.cached
    np.testing.assert_array_equal(first.coords, again.coords)
    other = map_run(store, run_id, "umap", {"n_neighbors": 12}, max_points=200)
    assert not other.cached  # other parameters, other map


def test_untrained_control_uses_the_runs_backbone(store, make_run):
    run_id = make_run()
    fmap = map_run(store, f"init:{run_id}", "pca", max_points=100)
    assert fmap.checkpoint.startswith("untrained") and "small_cnn" in fmap.source_label
    trained = map_run(store, run_id, "pca", max_points=100)
    assert not np.allclose(fmap.features, trained.features)


def test_tsne_map_keeps_snapshots_for_the_animation(store, make_run):
    fmap = map_run(store, make_run(), "tsne", {"perplexity": 10}, max_points=150, snapshot_every=25)
    assert len(fmap.history) >= 10 and fmap.history[-1].shape == (150, 2)


def test_bad_input_gives_clear_errors(store, make_run):
    queued = store.create_run("ssl", {"method": "simclr", "dataset": "shapes"})
    with pytest.raises(FeatureMapError, match="no stored encoder checkpoint"):
        map_run(store, queued, "pca")
    with pytest.raises((FeatureMapError, KeyError), match="no run with id"):  # KeyError: the access gate's
        map_run(store, "no-such-run", "pca")
    run_id = make_run()
    with pytest.raises(FeatureMapError, match="unknown projection"):
        map_run(store, run_id, "mds")
    with pytest.raises(FeatureMapError, match="perplexity.*random_state"):  # names it and what pca takes
        map_run(store, run_id, "pca", {"perplexity": 5})
    with pytest.raises(FeatureMapError, match="perplexity"):  # typed and in range, as the page offers it
        map_run(store, run_id, "tsne", {"perplexity": 500})
    with pytest.raises(FeatureMapError, match="number of points"):
        map_run(store, run_id, "pca", max_points=500_000)
    with pytest.raises(FeatureMapError, match="t-SNE maps at most"):
        map_run(store, run_id, "tsne", max_points=90_000)


def test_too_few_points_draw_with_the_largest_setting_and_say_so(store, make_run):
    run_id = make_run()
    fmap = map_run(store, run_id, "umap", {"n_neighbors": 50}, max_points=20)
    assert fmap.params["n_neighbors"] == 20 and len(fmap.coords) == 20
    assert any(getattr(n, "code", "") == "maps.fewer_points_umap" for n in fmap.notes)
    assert "fewer points (20) than neighbours (n_neighbors=50)" in " ".join(fmap.notes)
    fmap = map_run(store, run_id, "tsne", {"perplexity": 30}, max_points=10)
    assert fmap.params["perplexity"] == 3.0 and np.isfinite(fmap.coords).all()
    assert any(getattr(n, "code", "") == "maps.fewer_points_tsne" for n in fmap.notes)


def test_diverged_encoder_is_reported_not_crashed(store, make_run):
    with pytest.raises(FeatureMapError, match="NaN or infinite"):
        map_run(store, make_run(nan=True), "umap", max_points=100)


def test_command_line_writes_csv_and_prints_json_last(store, make_run, tmp_path, capsys):
    from replearn_core.cli import main
    from replearn_core.projection import read_coordinates_csv, read_projector_tsv

    run_id = make_run()
    out = tmp_path / "map.csv"
    code = main(["project", "--run", run_id, "--method", "umap", "--out", str(out), "--points", "200",
                 "--n-neighbors", "10", "--projector-dir", str(tmp_path / "proj")])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["points"] == 200 and result["wall_s"] > 0 and "knn_accuracy" in result["scores"]
    back = read_coordinates_csv(out.read_text())
    assert back["coords"].shape == (200, 2)
    feats, meta = read_projector_tsv((tmp_path / "proj" / "features.tsv").read_text(),
                                     (tmp_path / "proj" / "metadata.tsv").read_text())
    assert feats.shape == (200, 128) and len(meta) == 200

    assert main(["project", "--run", "init", "--method", "pca", "--points", "100", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["checkpoint"].startswith("untrained")
    assert main(["project", "--run", "missing", "--method", "pca"]) == 2
    assert "no run with id" in capsys.readouterr().err
