import numpy as np
import pytest
import torch

from replearn_core.evaluation import knn_accuracy, linear_probe_accuracy
from replearn_core.projection.scores import kmeans_nmi, map_silhouette, score_2d, score_features


def blobs(n_per_class: int, seed: int, spread: float = 0.1):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    return np.eye(3)[y] * 10 + rng.standard_normal((len(y), 3)) * spread, y


def test_silhouette_by_hand():
    coords = np.array([[0, 0], [1, 0], [4, 0], [5, 0]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    # point 0: a = 1, b = (4 + 5) / 2; point 1: a = 1, b = (3 + 4) / 2; the other two mirror them
    expected = ((4.5 - 1) / 4.5 + (3.5 - 1) / 3.5) / 2
    value, used = map_silhouette(coords, labels)
    assert value == pytest.approx(expected) and used == 4


def test_kmeans_nmi_is_one_for_obvious_clusters_and_near_zero_for_noise():
    X, y = blobs(40, seed=0)
    assert kmeans_nmi(X, y) == pytest.approx(1.0)
    assert kmeans_nmi(X, (y + 1) % 3) == pytest.approx(1.0)  # the names of the classes do not matter
    noise = np.random.default_rng(1).standard_normal((120, 3))
    assert kmeans_nmi(noise, y) < 0.1


def test_feature_scores_are_the_shared_knn_and_probe_on_bank_and_held_out_images():
    rng = np.random.default_rng(2)
    y_bank, y_held = np.repeat(np.arange(3), 60), np.repeat(np.arange(3), 30)
    bank = rng.standard_normal((180, 5)) + np.eye(3, 5)[y_bank] * 1.2  # overlapping classes
    held = rng.standard_normal((90, 5)) + np.eye(3, 5)[y_held] * 1.2
    scores = score_features(torch.from_numpy(bank), torch.from_numpy(y_bank), torch.from_numpy(held),
                            torch.from_numpy(y_held), k=20)
    assert scores["knn_accuracy"] == knn_accuracy(bank, y_bank, held, y_held, k=20)
    assert scores["linear_probe_accuracy"] == linear_probe_accuracy(bank, y_bank, held, y_held)
    assert scores["kmeans_nmi"] == pytest.approx(kmeans_nmi(held, y_held))
    assert 0.4 < scores["knn_accuracy"] < 0.95 and 0.4 < scores["linear_probe_accuracy"] < 0.95
    # the held-out images are the queries: scoring the bank against itself is another, easier number
    assert score_features(bank, y_bank, bank, y_bank)["knn_accuracy"] > scores["knn_accuracy"]


def test_scores_report_what_they_cannot_compute():
    X = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    one_class = np.zeros(10, dtype=int)
    scores = score_features(X, one_class, X, one_class)
    assert scores["kmeans_nmi"] is None and "2 classes" in scores["kmeans_nmi_note"]
    assert scores["knn_accuracy"] == 1.0 and scores["linear_probe_accuracy"] == 1.0  # one class: always right
    flat = score_2d(X[:, :2], one_class)
    assert flat["map_silhouette"] is None and "2 classes" in flat["map_silhouette_note"]
