"""Scores under each map: how well the *features* separate the classes, and how well the *map* does.

The first three are computed on the features, not on the 2-D map, and on the run's own evaluation
images, not on the map's points: a bank of training images and the held-out images, chosen exactly
as the trainers choose them (:meth:`replearn_core.data.EvaluationImages.splits`). So they do not depend on
the projection's knobs, the number of points or the split shown, and the kNN accuracy is the number
the run itself reported for the same checkpoint:

- ``knn_accuracy``: :func:`replearn_core.evaluation.knn_accuracy`, the one kNN of replearn: each
  held-out image takes the similarity-weighted vote (weights exp(cos / 0.07)) of its k = 20 most
  similar bank images (Wu et al. 2018, https://arxiv.org/abs/1805.01978).
- ``linear_probe_accuracy``: :func:`replearn_core.evaluation.linear_probe_accuracy`, a logistic
  regression fitted on the bank's standardised features and scored on the held-out images; the
  linear-evaluation protocol of SSL papers (e.g. SimCLR, Chen et al. 2020), on a small scale.
- ``kmeans_nmi``: scikit-learn's k-means of the held-out features with k = number of classes, and
  the normalised mutual information NMI = I(C; Y) / ((H(C) + H(Y)) / 2) between its clusters C and
  the labels Y (1 = the same partition, 0 = independent).

and one on the map itself, labelled as such on the page:

- ``map_silhouette``: the mean silhouette s = (b - a) / max(a, b) of the 2-D points with the labels as
  clusters (a = mean distance to the own class, b = to the nearest other class); from -1 to 1.
"""

from __future__ import annotations

import numpy as np
import torch

from replearn_core.evaluation import knn_accuracy, linear_probe_accuracy


def _labels(labels) -> np.ndarray:
    y = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64)
    if y.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {y.shape}")
    return y


def kmeans_nmi(features, labels, seed: int = 0) -> float:
    """NMI between k-means clusters (k = number of classes) of the features (N, D) and the labels (N,)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score
    from threadpoolctl import threadpool_limits

    y = _labels(labels)
    k = len(np.unique(y))
    if k < 2:
        raise ValueError("k-means agreement needs at least 2 classes")
    x = np.asarray(features, dtype=np.float64)
    if len(x) < k:
        raise ValueError(f"cannot make {k} clusters of {len(x)} points")
    with threadpool_limits(1):  # one thread: on a busy CPU OpenMP's spin-waiting threads are many times slower
        clusters = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(x)
    return float(normalized_mutual_info_score(y, clusters))


def map_silhouette(coords, labels, max_points: int = 4000, seed: int = 0) -> tuple[float, int]:
    """Mean silhouette of the 2-D map with the labels as clusters, and how many points it used.

    s_i = (b_i - a_i) / max(a_i, b_i); above ``max_points`` a seeded random sample is scored (the exact
    score costs N² distances).
    """
    from sklearn.metrics import silhouette_score

    y = _labels(labels)
    coords = np.asarray(coords, dtype=np.float64)
    if len(np.unique(y)) < 2 or len(y) < 3:
        raise ValueError("the silhouette needs at least 2 classes and 3 points")
    used = min(len(y), max_points)
    sample = None if used == len(y) else used
    return float(silhouette_score(coords, y, sample_size=sample, random_state=seed)), used


def score_features(bank_features, bank_labels, heldout_features, heldout_labels, k: int = 20,
                   num_classes: int | None = None, seed: int = 0) -> dict:
    """The three feature scores of a bank of training images (N, D) and held-out images (M, D).

    A score that cannot be computed is None with the reason under ``<name>_note``.
    """
    bank_y, heldout_y = _labels(bank_labels), _labels(heldout_labels)
    scorers = {
        "knn_accuracy": lambda: knn_accuracy(bank_features, bank_y, heldout_features, heldout_y, k=k,
                                             num_classes=num_classes),
        "linear_probe_accuracy": lambda: linear_probe_accuracy(bank_features, bank_y, heldout_features, heldout_y),
        "kmeans_nmi": lambda: kmeans_nmi(heldout_features, heldout_y, seed=seed),
    }
    out: dict = {}
    for name, fn in scorers.items():
        try:
            out[name] = float(fn())
        except ValueError as exc:
            out[name], out[name + "_note"] = None, str(exc)
    return out


def score_2d(coords, labels, seed: int = 0) -> dict:
    """The silhouette of the 2-D map (None with a note when it cannot be computed)."""
    out: dict = {}
    try:
        out["map_silhouette"], out["map_silhouette_points"] = map_silhouette(coords, labels, seed=seed)
    except ValueError as exc:
        out["map_silhouette"], out["map_silhouette_note"] = None, str(exc)
    return out
