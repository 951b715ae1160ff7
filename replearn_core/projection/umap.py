"""UMAP, written for this lab: a fuzzy neighbour graph, laid out in 2-D by stochastic gradient descent.

UMAP (McInnes, Healy & Melville 2018, https://arxiv.org/abs/1802.03426):

1. Each point's k = n_neighbors - 1 nearest others (the point itself counts as the first of
   n_neighbors, as in umap-learn), with ρ_i the distance to the nearest and σ_i found by bisection so
   that Σ_j exp(-(d_ij - ρ_i) / σ_i) = log2(n_neighbors). Edge weights v_{j|i} = exp(-(d_ij - ρ_i) / σ_i).
2. Symmetrise with the fuzzy union: v_ij = v_{j|i} + v_{i|j} - v_{j|i} v_{i|j}.
3. In 2-D the similarity is 1 / (1 + a ||y_i - y_j||^{2b}), with a, b fitted so the curve is ~1 below
   ``min_dist`` and decays as exp(-(d - min_dist)) beyond it.
4. Minimise the fuzzy cross-entropy by SGD: each edge is sampled in proportion to its weight and pulls
   its ends together; for each, ``negative_sample_rate`` random points are pushed away. The step size
   decays linearly to 0 over ``n_epochs``.

Neighbours are searched among the top ``pca_components`` principal components (64 by default; the
distances change little and the search is several times faster; 0 searches the raw features). The
default 200 epochs are fewer than umap-learn's 500 for small data sets; raise ``n_epochs`` for the
last bit of polish. The SGD loop is compiled with numba (cached on disk in the data folder, so it is compiled once per
machine, not once per app start). The neighbour search is exact (:func:`knn`), and the start is PCA
(Kobak & Linderman 2021 show an informative start keeps the global layout; umap-learn's default is a
spectral start). Unlike t-SNE, UMAP can place new points: :meth:`UMAP.transform` starts each at the
weighted mean of its neighbours in the fitted map and refines it with the fitted points held fixed.

>>> reducer = UMAP(n_neighbors=15, min_dist=0.1, random_state=0)
>>> coords = reducer.fit_transform(features)   # (N, D) -> (N, 2)
>>> new_coords = reducer.transform(more)       # (M, D) -> (M, 2)
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
from scipy.optimize import curve_fit

from replearn_core.projection._numba import njit
from replearn_core.projection.neighbors import check_features, check_metric, knn
from replearn_core.projection.pca import PCA


class UMAP:
    """UMAP map to 2-D (see the module docstring for the method).

    Fitted attributes: ``embedding_`` (N, 2), ``graph_`` (N, N) sparse fuzzy graph, ``a_``, ``b_``.
    """

    def __init__(self, n_neighbors: int = 15, min_dist: float = 0.1, metric: str = "euclidean",
                 n_epochs: int | None = None, learning_rate: float = 1.0, negative_sample_rate: int = 5,
                 init: str = "pca", pca_components: int = 64, random_state: int | None = 0):
        self.n_neighbors = n_neighbors  # size of the neighbourhood: small = local detail, large = global shape
        self.min_dist = min_dist  # how tightly points may pack in the map (0 = clumps, 0.99 = even spread)
        self.metric = metric  # distance in feature space: "euclidean" or "cosine"
        self.n_epochs = n_epochs  # SGD epochs; None = 200 (umap-learn uses 500 below 10,000 points)
        self.learning_rate = learning_rate  # initial SGD step, decays linearly to 0
        self.negative_sample_rate = negative_sample_rate  # random points pushed away per sampled edge
        self.init = init  # "pca" or "random"
        self.pca_components = pca_components  # search neighbours among this many principal components (0 = all)
        self.random_state = random_state  # seed of the start and of the negative samples

    def fit(self, X, y=None) -> "UMAP":
        X = check_features(X)
        n = len(X)
        metric = check_metric(self.metric)
        k = int(self.n_neighbors)
        if k < 2:
            raise ValueError(f"n_neighbors must be at least 2, got {self.n_neighbors}")
        if k > n:
            raise ValueError(f"fewer points ({n}) than neighbours (n_neighbors={k}); lower n_neighbors "
                             f"or use more points")
        if not 0.0 <= float(self.min_dist) <= 1.0:
            raise ValueError(f"min_dist must be between 0 and 1, got {self.min_dist}")
        if self.init not in ("pca", "random"):
            raise ValueError(f"init must be 'pca' or 'random', got {self.init!r}")
        seed = 0 if self.random_state is None else int(self.random_state)
        rng = np.random.default_rng(seed)
        self.n_features_in_ = X.shape[1]
        if metric == "cosine":
            X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        if self.pca_components and X.shape[1] > self.pca_components and n > self.pca_components:
            self._reducer = PCA(int(self.pca_components)).fit(X)
            X = self._reducer.embedding_
        else:
            self._reducer = None
        idx, dist = knn(X, k - 1, metric)  # (N, k-1)
        weights = membership_strengths(dist, k)
        A = scipy.sparse.csr_matrix((weights.ravel(), idx.ravel(), np.arange(0, n * (k - 1) + 1, k - 1)),
                                    shape=(n, n))
        graph = (A + A.T - A.multiply(A.T)).tocoo()  # fuzzy union
        self.a_, self.b_ = fit_ab(float(self.min_dist))
        n_epochs = int(self.n_epochs) if self.n_epochs else 200
        if n_epochs < 1:
            raise ValueError(f"n_epochs must be at least 1, got {self.n_epochs}")
        keep = graph.data >= graph.data.max() / n_epochs  # edges too weak to be sampled even once
        heads, tails, w = graph.row[keep], graph.col[keep], graph.data[keep]

        if self.init == "pca":
            Y = PCA(2).fit_transform(X).astype(np.float64)
            Y = Y / max(np.abs(Y).max(), 1e-12) * 10.0 + rng.normal(0, 1e-4, Y.shape)
        else:
            Y = rng.uniform(-10, 10, (n, 2))
        Y = 10.0 * (Y - Y.min(0)) / np.maximum(Y.max(0) - Y.min(0), 1e-12)  # into [0, 10]²
        Y = np.ascontiguousarray(Y)
        _optimize_layout(Y, Y, heads.astype(np.int64), tails.astype(np.int64), (w.max() / w).astype(np.float64),
                         self.a_, self.b_, n_epochs, int(self.negative_sample_rate), float(self.learning_rate),
                         True, seed)
        self.graph_ = graph.tocsr()
        self.embedding_ = Y.astype(np.float32)
        self._fit_X = X
        self._metric = metric
        self._n_epochs = n_epochs
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_

    def transform(self, X) -> np.ndarray:
        """Place new points (M, D) into the fitted map (M, 2); the fitted points do not move."""
        if not hasattr(self, "embedding_"):
            raise RuntimeError("call fit before transform")
        X = check_features(X, min_points=1)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} dimensions, got {X.shape[1]}")
        if self._metric == "cosine":
            X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        if self._reducer is not None:
            X = self._reducer.transform(X)
        k = int(self.n_neighbors)
        idx, dist = knn(self._fit_X, min(k, len(self._fit_X)), self._metric, query=X)  # (M, k)
        weights = membership_strengths(dist, k)  # (M, k)
        ref = self.embedding_.astype(np.float64)
        Y = np.ascontiguousarray((weights[:, :, None] * ref[idx]).sum(1)
                                 / np.maximum(weights.sum(1, keepdims=True), 1e-12))  # weighted mean start
        heads = np.repeat(np.arange(len(X)), idx.shape[1]).astype(np.int64)
        w = weights.ravel().astype(np.float64)
        keep = w > 0
        seed = 0 if self.random_state is None else int(self.random_state)
        _optimize_layout(Y, ref.copy(), heads[keep], idx.ravel()[keep].astype(np.int64), w.max() / w[keep],
                         self.a_, self.b_, max(self._n_epochs // 3, 1), int(self.negative_sample_rate),
                         float(self.learning_rate) / 4, False, seed)
        return Y.astype(np.float32)


def membership_strengths(dist: np.ndarray, n_neighbors: int, n_steps: int = 64) -> np.ndarray:
    """Fuzzy memberships exp(-(d_ij - ρ_i)/σ_i) (M, k), σ_i bisected so each row sums to log2(n_neighbors)."""
    d = dist.astype(np.float64)
    rho = d[:, :1]  # distance to the nearest neighbour: every point is connected to at least one other
    excess = np.maximum(d - rho, 0.0)
    target = math.log2(n_neighbors)
    lo = np.zeros(len(d))
    hi = np.full(len(d), np.inf)
    sigma = np.ones(len(d))
    for _ in range(n_steps):
        total = np.exp(-excess / sigma[:, None]).sum(1)
        too_wide = total > target
        hi = np.where(too_wide, sigma, hi)
        lo = np.where(too_wide, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    sigma = np.maximum(sigma, 1e-3 * max(d.mean(), 1e-12))  # as umap-learn: no σ collapses to 0
    return np.exp(-excess / sigma[:, None])


def fit_ab(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """a, b of the map's similarity 1 / (1 + a d^{2b}), fitted to 1 below min_dist, exp(-(d - min_dist)) above."""
    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    (a, b), _ = curve_fit(lambda x, a, b: 1.0 / (1.0 + a * x ** (2 * b)), x, y, p0=(1.5, 0.9), maxfev=5000)
    return float(a), float(b)


@njit(cache=True)
def _clip(v):
    return 4.0 if v > 4.0 else (-4.0 if v < -4.0 else v)


@njit(cache=True, fastmath=True)
def _optimize_layout(head_emb, tail_emb, heads, tails, epochs_per_sample, a, b, n_epochs, negative_rate,
                     learning_rate, move_other, seed):
    """SGD on the fuzzy cross-entropy, in place on head_emb (and tail_emb when move_other).

    attraction along edge (i, j), d² = ||y_i - y_j||²:  -2ab d^{2(b-1)} / (1 + a d^{2b}) · (y_i - y_j)
    repulsion from a random point k:                     2b / ((0.001 + d²)(1 + a d^{2b})) · (y_i - y_k)
    """
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x2545F4914F6CDD1D)  # xorshift64 state
    n_edges = heads.shape[0]
    n_tail = tail_emb.shape[0]
    epochs_per_negative = epochs_per_sample / negative_rate
    next_sample = epochs_per_sample.copy()
    next_negative = epochs_per_negative.copy()
    for epoch in range(n_epochs):
        alpha = learning_rate * (1.0 - epoch / n_epochs)
        for e in range(n_edges):
            if next_sample[e] > epoch:
                continue
            i = heads[e]
            j = tails[e]
            dx = head_emb[i, 0] - tail_emb[j, 0]
            dy = head_emb[i, 1] - tail_emb[j, 1]
            d2 = dx * dx + dy * dy
            coef = 0.0
            if d2 > 0.0:
                d2b = math.exp(b * math.log(d2))  # d^{2b}; one exp/log instead of two powers
                coef = -2.0 * a * b * (d2b / d2) / (a * d2b + 1.0)
            gx = _clip(coef * dx) * alpha
            gy = _clip(coef * dy) * alpha
            head_emb[i, 0] += gx
            head_emb[i, 1] += gy
            if move_other:
                tail_emb[j, 0] -= gx
                tail_emb[j, 1] -= gy
            next_sample[e] += epochs_per_sample[e]

            n_negative = int((epoch - next_negative[e]) / epochs_per_negative[e])
            for _ in range(n_negative):
                state ^= state << np.uint64(13)  # xorshift64 (Marsaglia 2003): a fast, seeded random point
                state ^= state >> np.uint64(7)
                state ^= state << np.uint64(17)
                k = np.int64(state % np.uint64(n_tail))
                if move_other and k == i:
                    continue
                dx = head_emb[i, 0] - tail_emb[k, 0]
                dy = head_emb[i, 1] - tail_emb[k, 1]
                d2 = dx * dx + dy * dy
                if d2 > 0.0:
                    coef = 2.0 * b / ((0.001 + d2) * (a * math.exp(b * math.log(d2)) + 1.0))
                    head_emb[i, 0] += _clip(coef * dx) * alpha
                    head_emb[i, 1] += _clip(coef * dy) * alpha
                else:
                    head_emb[i, 0] += 4.0 * alpha
                    head_emb[i, 1] += 4.0 * alpha
            next_negative[e] += n_negative * epochs_per_negative[e]
