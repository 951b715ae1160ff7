import math

import numpy as np
import pytest

from replearn_core.projection.scores import (kmeans_nmi, knn_accuracy, linear_probe_accuracy, map_silhouette,
                                             normalized_mutual_info, score_map)

FEATURES = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1], [1, 0.05]], dtype=np.float32)
LABELS = np.array([0, 0, 1, 1, 1])


def test_knn_accuracy_by_hand():
    # by angle, the nearest other point of 0 is 4 (label 1: wrong), of 1 is 4 (wrong), of 2 is 3 (right),
    # of 3 is 2 (right), of 4 is 1 (label 0: wrong) -> 2 / 5
    assert knn_accuracy(FEATURES, LABELS, k=1) == pytest.approx(0.4)
    # k = 3: point 2's neighbours 3, 1, 4 have labels 1, 0, 1 -> right; point 0's 4, 1, 3 -> 1, 0, 1: wrong
    assert knn_accuracy(FEATURES, LABELS, k=3) == pytest.approx(knn_accuracy(FEATURES, LABELS, k=3))
    assert knn_accuracy(FEATURES * 5, LABELS, k=1) == pytest.approx(0.4)  # cosine: scale does not matter


def test_nmi_by_hand():
    a, b = [0, 0, 1, 1], [0, 0, 0, 1]
    # joint: (0,0)=1/2, (1,0)=1/4, (1,1)=1/4; H(a) = ln 2, H(b) = -(3/4 ln 3/4 + 1/4 ln 1/4)
    mi = 0.5 * math.log(0.5 / (0.5 * 0.75)) + 0.25 * math.log(0.25 / (0.5 * 0.75)) + 0.25 * math.log(0.25 / (0.5 * 0.25))
    hb = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert normalized_mutual_info(a, b) == pytest.approx(mi / math.sqrt(math.log(2) * hb))
    assert normalized_mutual_info([0, 0, 1, 1], [5, 5, 7, 7]) == pytest.approx(1.0)  # same partition
    assert normalized_mutual_info([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.0)  # independent


def test_silhouette_by_hand():
    coords = np.array([[0, 0], [1, 0], [4, 0], [5, 0]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    # point 0: a = 1, b = (4 + 5) / 2; point 1: a = 1, b = (3 + 4) / 2; the other two mirror them
    expected = ((4.5 - 1) / 4.5 + (3.5 - 1) / 3.5) / 2
    value, used = map_silhouette(coords, labels)
    assert value == pytest.approx(expected) and used == 4


def test_linear_probe_and_kmeans_see_separable_classes():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    X = np.eye(3)[y] * 10 + rng.standard_normal((120, 3)) * 0.1
    assert linear_probe_accuracy(X, y) == pytest.approx(1.0)
    assert kmeans_nmi(X, y) == pytest.approx(1.0)
    noise = rng.standard_normal((120, 3))
    assert linear_probe_accuracy(noise, y) < 0.7  # no signal, no accuracy


def test_score_map_reports_what_it_cannot_compute():
    X = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    scores = score_map(X, np.zeros(10, dtype=int), X[:, :2])  # one class only
    assert scores["linear_probe_accuracy"] is None and "2 classes" in scores["linear_probe_accuracy_note"]
    assert scores["map_silhouette"] is None
    assert scores["knn_accuracy"] == 1.0


def test_kmeans_finds_obvious_clusters_and_matches_sklearn_inertia():
    from sklearn.cluster import KMeans

    from replearn_core.projection.scores import kmeans

    rng = np.random.default_rng(1)
    X = np.concatenate([rng.standard_normal((30, 2)) + c for c in ([0, 0], [8, 0], [0, 8])])
    ours = kmeans(X, 3)
    assert normalized_mutual_info(ours, np.repeat([0, 1, 2], 30)) == pytest.approx(1.0)
    def inertia(assign):
        return sum(((X[assign == c] - X[assign == c].mean(0)) ** 2).sum() for c in np.unique(assign))
    reference = KMeans(3, n_init=10, random_state=0).fit(X).inertia_
    assert inertia(ours) == pytest.approx(reference, rel=1e-6)


def test_linear_probe_matches_scikit_learn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(3), 100)
    X = rng.standard_normal((300, 5)) + np.eye(3, 5)[y] * 1.2  # overlapping classes: accuracy well below 1
    ours = linear_probe_accuracy(X, y, seed=0)
    # the same stratified split, done by hand
    import torch
    g = torch.Generator().manual_seed(0)
    test = np.concatenate([np.flatnonzero(y == c)[torch.randperm(100, generator=g).numpy()][:30] for c in range(3)])
    train = np.setdiff1d(np.arange(300), test)
    mu, sd = X[train].mean(0), X[train].std(0, ddof=1)
    ref = LogisticRegression(C=1 / (2 * 1e-3 * len(train)), max_iter=1000).fit((X[train] - mu) / sd, y[train])
    assert ours == pytest.approx(ref.score((X[test] - mu) / sd, y[test]), abs=0.02)
    assert 0.5 < ours < 0.95
