"""The viewer's engine calls: neighbours in feature space, selections and their exports, density, clusters and
the hover index."""

import csv
import io
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from replearn_core.evaluation import knn_accuracy, nearest_by_cosine
from replearn_core.projection.explore import (SelectionError, browser_payload, density_grid, map_clusters,
                                              nearest_point, point_neighbours, positions_of, selection_csv,
                                              selection_summary, selection_zip, spatial_index)


def fake_map(n=200, d=16, seed=0, class_names=("cat", "dog", "=HYPERLINK(\"http://x\")", "../../etc")):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(class_names), n)
    features = rng.normal(size=(n, d)).astype(np.float32) + 3 * np.eye(d, dtype=np.float32)[labels]
    return SimpleNamespace(coords=rng.normal(size=(n, 2)).astype(np.float32), labels=labels, features=features,
                           indices=np.arange(1000, 1000 + n), class_names=list(class_names), images=None,
                           groups=None, group_names=[])


def test_neighbours_are_the_cosine_knn_of_the_score():
    fmap = fake_map()
    nb = point_neighbours(fmap, 5, k=7)
    f = fmap.features / np.linalg.norm(fmap.features, axis=1, keepdims=True)
    sims = f @ f[5]
    sims[5] = -np.inf
    assert nb.positions.tolist() == np.argsort(-sims)[:7].tolist()  # brute force, the point itself left out
    assert np.allclose(nb.distances, 1 - sims[nb.positions], atol=1e-5)
    assert (nb.labels == fmap.labels[nb.positions]).all()
    d2 = ((fmap.coords - fmap.coords[5]) ** 2).sum(1)
    d2[5] = np.inf
    assert nb.map_positions.tolist() == np.argsort(d2)[:7].tolist()
    assert nb.shared == len(set(nb.positions.tolist()) & set(nb.map_positions.tolist()))
    assert nb.to_json(fmap.class_names)["features"][0]["class"] in fmap.class_names


def test_knn_accuracy_votes_with_the_shared_search():
    rng = np.random.default_rng(1)
    bank, labels = torch.randn(300, 8), torch.from_numpy(rng.integers(0, 3, 300))
    query = torch.randn(50, 8)
    sim, idx = nearest_by_cosine(bank, query, 5)
    votes = torch.zeros(50, 3).scatter_add_(1, labels[idx], (sim / 0.07).exp())
    expected = (votes.argmax(1) == labels[:50]).float().mean().item()
    assert knn_accuracy(bank, labels, query, labels[:50], k=5) == pytest.approx(expected)


def test_selection_counts_and_csv_neutralise_formulas():
    fmap = fake_map()
    picked = [3, 4, 4, 10, 3]  # repeats count once
    summary = selection_summary(fmap, picked)
    assert summary["count"] == 3 and sum(c["count"] for c in summary["classes"]) == 3
    rows = list(csv.DictReader(io.StringIO(selection_csv(fmap, picked))))
    assert [int(r["position"]) for r in rows] == [3, 4, 10]
    assert [int(r["index"]) for r in rows] == [1003, 1004, 1010]
    for r in rows:
        assert not r["class_name"].startswith(("=", "+", "-", "@"))


def test_a_selection_of_hostile_indices_is_refused():
    fmap = fake_map(n=20)
    for bad in ([20], [-1], [1.5], ["1; rm -rf /"], [[1, 2]]):
        with pytest.raises(SelectionError):
            positions_of(fmap, bad)


def test_zip_holds_pngs_with_safe_names():
    from PIL import Image

    fmap = fake_map(n=30)
    images = np.random.default_rng(0).integers(0, 255, (30, 3, 8, 8)).astype(np.uint8)
    picked = [int(np.flatnonzero(fmap.labels == 3)[0]), 1, 2]
    data = selection_zip(fmap, picked, images[picked])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names[0] == "selection.csv" and len(names) == 4
        for name in names:
            assert "/" not in name and ".." not in name and "\\" not in name
        png = Image.open(io.BytesIO(archive.read(names[1])))
        assert png.size == (8, 8) and (np.asarray(png).transpose(2, 0, 1) == images[picked[0]]).all()
    assert selection_zip(fmap, picked, images[picked]) == data  # deterministic


def test_density_is_highest_where_the_points_are():
    rng = np.random.default_rng(0)
    coords = np.concatenate([rng.normal(0, 0.3, (900, 2)), rng.normal(5, 0.3, (100, 2))])
    grid = density_grid(coords, size=64, labels=np.repeat([0, 1], [900, 100]))
    values = grid["values"]
    assert values.shape == (64, 64) and values.max() == pytest.approx(1.0)
    iy, ix = np.unravel_index(values.argmax(), values.shape)
    x = grid["x0"] + (ix + 0.5) * (grid["x1"] - grid["x0"]) / 64
    y = grid["y0"] + (iy + 0.5) * (grid["y1"] - grid["y0"]) / 64
    assert abs(x) < 0.5 and abs(y) < 0.5  # the densest cell is the big cluster's centre
    assert grid["thresholds"][0] > grid["thresholds"][-1]
    assert grid["per_class"].shape == (2, 64, 64)


def test_clusters_find_the_blobs_and_name_them():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    labels = np.repeat([0, 1, 2], 100)
    coords = centres[labels] + rng.normal(0, 0.5, (300, 2))
    out = map_clusters(coords, 3, labels=labels, class_names=["a", "b", "c"])
    assert sorted(out["names"]) == ["a", "b", "c"] and (out["purity"] == 1).all()
    assert out["sizes"].tolist() == [100, 100, 100]
    for c, centre in enumerate(out["centres"]):
        assert np.abs(centre - centres[out["majority"][c]]).max() < 0.5


def test_hover_index_finds_the_nearest_point_like_brute_force():
    rng = np.random.default_rng(0)
    coords = np.concatenate([rng.normal(0, 1, (5000, 2)), rng.normal(20, 0.01, (50, 2))]).astype(np.float32)
    index = spatial_index(coords)
    assert index["starts"][-1] == len(coords) and sorted(index["order"].tolist()) == list(range(len(coords)))
    for x, y in rng.uniform(-5, 25, (300, 2)):
        d2 = ((coords - (x, y)) ** 2).sum(1)
        got = nearest_point(index, coords, x, y)
        assert d2[got] == pytest.approx(d2.min())
    assert nearest_point(index, coords, 100.0, 100.0, max_distance=1.0) is None


def test_browser_payload_round_trips():
    import base64

    fmap = fake_map(n=50)
    payload = browser_payload(fmap)
    coords = np.frombuffer(base64.b64decode(payload["coords"]), dtype="<f4").reshape(-1, 2)
    assert np.array_equal(coords, fmap.coords) and payload["points"] == 50
    order = np.frombuffer(base64.b64decode(payload["index"]["order"]), dtype="<i4")
    assert sorted(order.tolist()) == list(range(50))
