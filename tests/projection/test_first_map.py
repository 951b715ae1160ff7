"""The first map of a fresh data folder: a reference run's shipped map, drawn without the encoder."""

from pathlib import Path

import numpy as np
import pytest

from replearn_core.projection import PROJECTIONS, FeatureMapError, map_run, projection_params
from replearn_core.projection.maps import FIRST_MAP, FIRST_MAP_SETTINGS, ensure_features

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "reference_runs"  # what the checkout ships


def _no_encoder(monkeypatch):
    """Any encoding or projecting fails loudly: the shipped map must need neither."""
    import replearn_core.checkpoints as checkpoints
    import replearn_core.features as features
    from replearn_core.projection.umap import UMAP

    def refuse(*args, **kwargs):
        raise AssertionError("the first map of a reference run must not encode or project anything")

    monkeypatch.setattr(checkpoints, "load_run_encoder", refuse)
    monkeypatch.setattr(features, "encode_images", refuse)
    monkeypatch.setattr(UMAP, "fit_transform", refuse)


@pytest.fixture
def shipped_store(monkeypatch, data_dir):
    from replearn_core.runs.reference import open_store

    monkeypatch.setenv("REPLEARN_REFERENCE_RUNS", str(ASSETS))
    store = open_store()
    yield store
    store.close()


def test_every_reference_run_ships_the_pages_default_map(shipped_store):
    assert FIRST_MAP_SETTINGS["method"] == next(iter(PROJECTIONS))  # the page's default projection
    runs = [r for r in shipped_store.list_runs() if r.reference]
    assert runs, "no reference run is shipped"
    for run in runs:
        artifact = shipped_store.artifact(run.id, FIRST_MAP)
        assert artifact is not None and artifact.kind == FIRST_MAP, f"{run.id} ships no first map"
        assert artifact.path.stat().st_size < 30_000


def test_fresh_folder_first_map_of_a_reference_run_uses_the_shipped_map(shipped_store, monkeypatch):
    _no_encoder(monkeypatch)
    run_id = next(r.id for r in shipped_store.list_runs() if r.reference)
    page_defaults = projection_params("umap")  # what the page's controls give untouched
    fmap = map_run(shipped_store, run_id, "umap", page_defaults, max_points=5000, split="test", fallback="pca",
                   shipped=True)
    assert fmap.shipped and fmap.method == "umap" and fmap.fallback_from is None
    assert fmap.coords.shape == (len(fmap.labels), 2) and fmap.coords.dtype == np.float32
    assert np.isfinite(fmap.coords).all() and len(np.unique(fmap.coords[:, 0])) > len(fmap.coords) // 2
    assert fmap.features is None
    for name in ("knn_accuracy", "linear_probe_accuracy", "kmeans_nmi", "map_silhouette"):
        assert fmap.scores[name] is not None, name  # the scores under the map ship with it
    assert len(fmap.class_names) == 10 and fmap.labels.max() < 10


def test_any_other_request_is_computed(shipped_store, monkeypatch):
    _no_encoder(monkeypatch)
    run_id = next(r.id for r in shipped_store.list_runs() if r.reference)
    for asked in ({"params": {"n_neighbors": 14}}, {"split": "all"}, {"max_points": 500},
                  {"snapshot_every": 25}, {"shipped": False}):
        kwargs = {"params": None, "max_points": 5000, "split": "test", "shipped": True, **asked}
        with pytest.raises(AssertionError, match="must not encode"):
            map_run(shipped_store, run_id, "umap", **kwargs)
    with pytest.raises((AssertionError, FeatureMapError)):
        map_run(shipped_store, run_id, "pca", None, 5000, "test", shipped=True)


def test_shipped_map_is_the_map_the_run_computes(shipped_store):
    run_id = next(r.id for r in shipped_store.list_runs() if r.reference)
    shipped = map_run(shipped_store, run_id, "umap", None, 5000, "test", shipped=True)
    computed = map_run(shipped_store, run_id, "umap", None, 5000, "test")
    assert shipped.shipped and not computed.shipped
    np.testing.assert_array_equal(shipped.indices, computed.indices)
    np.testing.assert_array_equal(shipped.labels, computed.labels)
    scale = np.abs(computed.coords).max()
    assert np.abs(shipped.coords - computed.coords).max() < 0.01 * scale  # float16 rounding only
    assert shipped.scores["knn_accuracy"] == computed.scores["knn_accuracy"]
    np.testing.assert_allclose(ensure_features(shipped_store, shipped).features, computed.features)
