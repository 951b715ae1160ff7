"""Scores under each map: how well the *features* separate the classes, and how well the *map* does.

The first three are computed on the features (N, D), not on the 2-D map, so they do not depend on the
projection's knobs:

- ``knn_accuracy``: leave-one-out k-nearest-neighbour accuracy on cosine similarity: each point takes
  the majority label of its k most similar other points (ties go to the class with the larger summed
  similarity). The protocol of Wu et al. 2018 (https://arxiv.org/abs/1805.01978), without a train split.
- ``linear_probe_accuracy``: a multinomial logistic regression trained on a stratified 70 % of the
  points (standardised features, small L2 penalty) and scored on the other 30 %; the linear-evaluation
  protocol of SSL papers (e.g. SimCLR, Chen et al. 2020), on a small scale.
- ``kmeans_nmi``: k-means with k = number of classes, and the normalised mutual information
  NMI = I(C; Y) / sqrt(H(C) H(Y)) between its clusters C and the labels Y (1 = the same partition,
  0 = independent).

and one on the map itself, labelled as such on the page:

- ``map_silhouette``: the mean silhouette s = (b - a) / max(a, b) of the 2-D points with the labels as
  clusters (a = mean distance to the own class, b = to the nearest other class); from -1 to 1.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F


@contextlib.contextmanager
def single_thread():
    """Run many small tensor operations on one thread: faster than two, and far faster on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _labels(labels) -> np.ndarray:
    y = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64)
    if y.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {y.shape}")
    return y


def knn_accuracy(features, labels, k: int = 20) -> float:
    """Leave-one-out majority-vote kNN accuracy on cosine similarity (features (N, D), labels (N,))."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    y = torch.as_tensor(_labels(labels))
    n = len(x)
    if n < 2:
        raise ValueError("kNN accuracy needs at least 2 points")
    k = min(int(k), n - 1)
    x = F.normalize(x, dim=1)
    num_classes = int(y.max()) + 1
    correct = 0
    for start in range(0, n, 2048):
        sim = x[start:start + 2048] @ x.T  # (c, N) cosine similarities
        sim[torch.arange(len(sim)), torch.arange(start, start + len(sim))] = -float("inf")  # leave self out
        top_sim, top_idx = sim.topk(k, dim=1)  # (c, k)
        votes = F.one_hot(y[top_idx], num_classes).float()  # (c, k, C)
        counts = votes.sum(1) + 1e-6 * (votes * top_sim[..., None].clamp_min(-1)).sum(1)  # ties: similarity
        correct += int((counts.argmax(1) == y[start:start + len(sim)]).sum())
    return correct / n


def linear_probe_accuracy(features, labels, test_fraction: float = 0.3, seed: int = 0,
                          weight_decay: float = 1e-3, steps: int = 200) -> float:
    """Held-out accuracy of a multinomial logistic-regression probe.

    Minimises mean cross-entropy + weight_decay·||W||² on standardised features by Nesterov's accelerated
    gradient with step 1/L, where L = λ_max(XᵀX / n) / 2 + 2·weight_decay bounds the curvature (the loss is
    convex, so this converges without tuning). The gradient is written out: ∇W = Xᵀ(softmax(XW + b) - Y) / n.
    """
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    y = torch.as_tensor(_labels(labels))
    classes = y.unique()
    if len(classes) < 2:
        raise ValueError("a linear probe needs at least 2 classes")
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in classes:  # stratified split
        idx = (y == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = int(round(len(idx) * test_fraction)) if len(idx) > 1 else 0
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train, test = torch.cat(train), torch.cat(test)
    if len(test) == 0:
        raise ValueError("too few points per class to hold any out for the linear probe")
    mean, std = x[train].mean(0), x[train].std(0).clamp_min(1e-6)
    xs = torch.cat([(x - mean) / std, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)  # (N, D+1), bias column
    xt, yt = xs[train], F.one_hot(y[train], int(y.max()) + 1).to(x.dtype)  # (n, D+1), (n, C)
    n = len(xt)
    lipschitz = torch.linalg.eigvalsh((xt.T @ xt / n).double())[-1].item() / 2 + 2 * weight_decay
    step = 1.0 / lipschitz
    w = torch.zeros(xt.shape[1], yt.shape[1], dtype=x.dtype)  # (D+1, C)
    previous = w
    for t in range(1, steps + 1):
        look = w + (t - 1) / (t + 2) * (w - previous)  # Nesterov look-ahead
        grad = xt.T @ (torch.softmax(xt @ look, dim=1) - yt) / n + 2 * weight_decay * look
        previous, w = w, look - step * grad
    return (xs[test] @ w).argmax(1).eq(y[test]).double().mean().item()


def kmeans(features, k: int, seed: int = 0, n_init: int = 3, max_iter: int = 100) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007); the best of ``n_init`` runs.

    Returns cluster ids (N,). Minimises Σ_i ||x_i - μ_{c(i)}||².
    """
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"cannot make {k} clusters of {n} points")
    g = torch.Generator().manual_seed(seed)
    sq = (x * x).sum(1)
    best, best_inertia = None, float("inf")
    for _ in range(n_init):
        centres = x[torch.randint(n, (1,), generator=g)]  # (1, D)
        for _ in range(1, k):  # k-means++: next centre drawn ∝ squared distance to the nearest centre
            d2 = (sq[:, None] + (centres * centres).sum(1)[None] - 2 * x @ centres.T).clamp_min(0).min(1).values
            probs = d2 / d2.sum() if d2.sum() > 0 else torch.full((n,), 1.0 / n, dtype=x.dtype)
            centres = torch.cat([centres, x[torch.multinomial(probs, 1, generator=g)]])
        assign = None
        for _ in range(max_iter):
            d2 = sq[:, None] + (centres * centres).sum(1)[None] - 2 * x @ centres.T  # (N, k)
            new = d2.argmin(1)
            if assign is not None and torch.equal(new, assign):
                break
            assign = new
            counts = torch.bincount(assign, minlength=k).to(x.dtype)
            sums = torch.zeros_like(centres).index_add_(0, assign, x)
            centres = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
        inertia = d2.gather(1, assign[:, None]).sum().item()
        if inertia < best_inertia:
            best, best_inertia = assign, inertia
    return best.numpy()


def normalized_mutual_info(a, b) -> float:
    """NMI = I(A; B) / sqrt(H(A) H(B)) of two labelings (1 when both are constant and equal)."""
    a, b = _labels(a), _labels(b)
    if len(a) != len(b):
        raise ValueError("the two labelings must have the same length")
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    joint = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(joint, (ai, bi), 1.0)
    joint /= len(a)
    pa, pb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    mi = float((joint[nz] * np.log(joint[nz] / np.outer(pa, pb)[nz])).sum())
    ha = float(-(pa * np.log(pa)).sum())
    hb = float(-(pb * np.log(pb)).sum())
    if ha == 0.0 or hb == 0.0:
        return 1.0 if ha == hb else 0.0
    return max(0.0, mi / np.sqrt(ha * hb))


def kmeans_nmi(features, labels, seed: int = 0) -> float:
    """NMI between k-means clusters (k = number of classes) of the features and the labels."""
    y = _labels(labels)
    k = len(np.unique(y))
    if k < 2:
        raise ValueError("k-means agreement needs at least 2 classes")
    return normalized_mutual_info(kmeans(features, k, seed=seed), y)


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


def score_features(features, labels, k: int = 20, seed: int = 0) -> dict:
    """The three feature scores; one that cannot be computed is None with the reason under ``<name>_note``."""
    out: dict = {}
    with single_thread():
        out.update(_score_features(features, labels, k, seed))
    return out


def _score_features(features, labels, k: int, seed: int) -> dict:
    out: dict = {}
    for name, fn in (("knn_accuracy", lambda: knn_accuracy(features, labels, k=k)),
                     ("linear_probe_accuracy", lambda: linear_probe_accuracy(features, labels, seed=seed)),
                     ("kmeans_nmi", lambda: kmeans_nmi(features, labels, seed=seed))):
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


def score_map(features, labels, coords, k: int = 20, seed: int = 0) -> dict:
    """All four scores: three on the features, the silhouette on the map."""
    return {**score_features(features, labels, k=k, seed=seed), **score_2d(coords, labels, seed=seed)}
