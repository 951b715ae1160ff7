"""Large maps: the approximate neighbour search keeps the neighbours, the engine says what fits, a page never waits
on a compile, and adaptation runs are mapped with their domains."""

import numpy as np
import pytest
import torch

from replearn_core.projection import maps
from replearn_core.projection.neighbors import approximate_knn, exact_knn, knn, knn_recall


def blobs(n=3000, d=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (10, d))
    return (centres[rng.integers(0, 10, n)] + rng.normal(0, 1, (n, d))).astype(np.float32)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_approximate_knn_finds_almost_all_true_neighbours(metric):
    X = blobs()
    idx, dist = approximate_knn(X, 10, metric)
    true_idx, true_dist = exact_knn(X, 10, metric)
    assert knn_recall(X, idx, metric) > 0.95
    assert (idx != np.arange(len(X))[:, None]).all()  # never itself
    assert (np.diff(dist, axis=1) >= -1e-5).all()  # nearest first
    assert (dist[:, 0] >= true_dist[:, 0] - 1e-4).all()  # never nearer than the truth
    assert np.array_equal(idx, approximate_knn(X, 10, metric)[0])  # seeded


def test_exact_knn_matches_brute_force():
    X = blobs(500, 8)
    idx, dist = knn(X, 5)
    d = ((X[:, None] - X[None]) ** 2).sum(2)
    np.fill_diagonal(d, np.inf)
    assert np.allclose(dist, np.sqrt(np.sort(d, 1)[:, :5]), atol=1e-3)


def test_limits_say_what_fits():
    assert maps.max_points("pca") == maps.MAX_POINTS == 100_000
    assert maps.max_points("tsne") <= 50_000
    assert maps.fits("pca", 100_000) and not maps.fits("tsne", 100_000)
    assert not maps.fits("umap", 2)
    limits = maps.projection_limits()
    assert set(limits) == set(maps.PROJECTIONS) and limits["pca"]["ready"]


def test_a_page_gets_pca_first_while_the_projection_compiles(store, make_run, monkeypatch):
    monkeypatch.setattr(maps, "projection_ready", lambda method: method == "pca")
    started = []
    monkeypatch.setattr(maps, "start_warm_up", lambda: started.append(True))
    fmap = maps.map_run(store, make_run(), "umap", max_points=100, fallback="pca", use_cache=False)
    assert fmap.method == "pca" and fmap.fallback_from == "umap" and started
    assert any(getattr(n, "code", "") == "maps.fallback" for n in fmap.notes)


def test_metric_learning_runs_are_mapped(store):
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext

    run_id = store.create_run("metric", {"dataset": "shapes", "backbone": "small_cnn", "image_size": 32,
                                         "knn_bank_images": 300, "eval_images": 100})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                     meta={"backbone": "small_cnn", "epoch": 1})
    ctx.close()
    store.finish(run_id, "finished")
    fmap = maps.map_run(store, run_id, "pca", max_points=100)
    assert fmap.coords.shape == (100, 2) and fmap.groups is None


def test_adaptation_runs_are_mapped_by_domain(store):
    from replearn_core.runs.context import RunContext

    rng = np.random.default_rng(0)
    run_id = store.create_run("adapt", {"source": "printed-digits", "target": "digits", "image_size": 16})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("map_dann", {"coords": torch.zeros(60, 2), "domain": torch.arange(60) // 30,
                                  "labels": torch.arange(60) % 10}, kind="feature_map", meta={"method": "dann"})
    ctx.close()
    with pytest.raises(maps.FeatureMapError, match="only the 2-D PCA"):
        maps.map_run(store, run_id, "pca", max_points=60)
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("map_dann", {"features": torch.from_numpy(rng.normal(size=(60, 8)).astype(np.float32)),
                                  "domain": torch.arange(60) // 30, "labels": torch.arange(60) % 10,
                                  "images": torch.zeros(60, 3, 16, 16, dtype=torch.uint8)},
                     kind="feature_map", meta={"method": "dann"})
    ctx.close()
    store.finish(run_id, "finished")
    fmap = maps.map_run(store, run_id, "umap", {"n_neighbors": 10}, max_points=60)
    assert fmap.coords.shape == (60, 2) and fmap.groups.tolist() == [0] * 30 + [1] * 30
    assert fmap.group_names[1] == "target: digits"
    assert maps.map_images(fmap, [0, 59]).shape == (2, 3, 16, 16)
