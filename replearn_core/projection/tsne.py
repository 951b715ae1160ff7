"""t-SNE with an FFT-accelerated repulsive term, written for this lab.

t-SNE (van der Maaten & Hinton 2008, https://jmlr.org/papers/v9/vandermaaten08a.html) places
points in 2-D so that the neighbour probabilities of the map, q_ij, match those of the features,
p_ij, by minimising KL(P || Q) = Σ p_ij log(p_ij / q_ij):

- p_{j|i} = exp(-β_i d_ij²) / Σ_k exp(-β_i d_ik²) over the 3·perplexity nearest neighbours, with β_i
  found by bisection so that the entropy of p_{·|i} equals log(perplexity); p_ij = (p_{j|i} + p_{i|j}) / 2N.
- q_ij = w_ij / Z with the Student-t kernel w_ij = 1 / (1 + ||y_i - y_j||²) and Z = Σ_{k≠l} w_kl.
- gradient: ∂KL/∂y_i = 4 Σ_j p_ij w_ij (y_i - y_j)  -  (4/Z) Σ_j w_ij² (y_i - y_j)
  (attraction along the sparse kNN graph; repulsion from every point).

The repulsion is the costly all-pairs part. As in FIt-SNE (Linderman et al. 2019,
https://doi.org/10.1038/s41592-018-0308-4) it is computed on a grid: charges (1, y) are spread to the
grid nodes (bilinear "cloud in cell" weights), convolved with the kernels w and w² by FFT, and read back
at the points: O(N + G² log G) per iteration instead of O(N²). Maps of up to 2,000 points use the exact
sum, which is as fast there. The optimiser is the standard one:
early exaggeration (×12 for the first quarter), momentum 0.5 → 0.8, per-coordinate gains, and the
learning rate max(N / 48, 50) of scikit-learn (Belkina et al. 2019's N/12 for a gradient without the
factor 4). Features are first reduced to 50 dimensions with PCA.

t-SNE has no ``transform``: the map is the result of an optimisation over the fitted points only,
and there is no function that places a new point. Fit again with the new points included.

>>> tsne = TSNE(perplexity=30, random_state=0)
>>> coords = tsne.fit_transform(features)     # features (N, D) -> coords (N, 2)
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
import scipy.sparse

from replearn_core.projection._numba import njit, prange
from replearn_core.projection.neighbors import check_features, check_metric, knn
from replearn_core.projection.pca import PCA


class TSNE:
    """t-SNE map to 2-D (see the module docstring for the method).

    Fitted attributes: ``embedding_`` (N, 2), ``kl_divergence_`` (KL(P||Q) at the end),
    ``n_iter_``, ``history_`` (list of (N, 2) snapshots when ``snapshot_every`` > 0).
    """

    def __init__(self, perplexity: float = 30.0, metric: str = "euclidean", n_iter: int = 500,
                 early_exaggeration: float = 12.0, learning_rate: float | str = "auto", init: str = "pca",
                 pca_components: int = 50, snapshot_every: int = 0, random_state: int | None = 0):
        self.perplexity = perplexity  # effective number of neighbours each point tries to keep (5–50)
        self.metric = metric  # distance in feature space: "euclidean" or "cosine"
        self.n_iter = n_iter  # gradient steps; the first quarter with early exaggeration
        self.early_exaggeration = early_exaggeration  # attraction ×12 early on, to form clusters first
        self.learning_rate = learning_rate  # "auto" = max(N / early_exaggeration / 4, 50), as scikit-learn
        self.init = init  # "pca" (deterministic, keeps global layout) or "random"
        self.pca_components = pca_components  # reduce features to this many dimensions first (0 = off)
        self.snapshot_every = snapshot_every  # keep the map every this many steps, for an animation
        self.random_state = random_state  # seed for random init

    # --- scikit-learn API -------------------------------------------------------------
    def fit(self, X, y=None) -> "TSNE":
        X = check_features(X)
        n = len(X)
        metric = check_metric(self.metric)
        perplexity = float(self.perplexity)
        if not perplexity > 0:
            raise ValueError(f"perplexity must be positive, got {self.perplexity}")
        if perplexity >= n:
            raise ValueError(f"perplexity ({perplexity:g}) must be smaller than the number of points ({n}); "
                             f"lower it or use more points")
        if int(self.n_iter) < 1:
            raise ValueError(f"n_iter must be at least 1, got {self.n_iter}")
        if self.init not in ("pca", "random"):
            raise ValueError(f"init must be 'pca' or 'random', got {self.init!r}")
        rng = np.random.default_rng(self.random_state)

        # 1. reduce, then the sparse neighbour probabilities P
        if metric == "cosine":
            X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        reduced = bool(self.pca_components and X.shape[1] > self.pca_components and n > self.pca_components)
        if reduced:
            X = PCA(self.pca_components).fit_transform(X)  # (N, 50), columns in order of variance
        k = min(n - 1, max(1, int(3 * perplexity)))
        idx, dist = knn(X, k, metric)
        sq = dist.astype(np.float64) ** 2 if metric == "euclidean" else dist.astype(np.float64)
        cond = conditional_probabilities(sq, perplexity)  # (N, k), rows sum to 1
        P = scipy.sparse.csr_matrix((cond.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
        P = (P + P.T).tocsr()
        P.data /= P.data.sum()
        P.sort_indices()

        # 2. initial map: tiny, so early exaggeration can pull clusters together
        if self.init == "pca":
            Y = (X[:, :2] if reduced else PCA(2).fit_transform(X)).astype(np.float64)  # top-2 components
        else:
            Y = rng.standard_normal((n, 2))
        Y = Y / max(Y[:, 0].std(), 1e-12) * 1e-4

        # 3. gradient descent
        lr = max(n / self.early_exaggeration / 4, 50.0) if self.learning_rate == "auto" else float(self.learning_rate)
        n_iter = int(self.n_iter)
        exaggerated = n_iter // 4 if n_iter >= 100 else 0
        update = np.zeros_like(Y)
        gains = np.ones_like(Y)
        attraction = np.empty_like(Y)
        # int32 / float32: the attraction reads every edge each iteration, so half the bytes is ~half the time
        indptr, indices, pdata = P.indptr.astype(np.int64), P.indices.astype(np.int32), P.data.astype(np.float32)
        self.history_ = []
        for it in range(n_iter):
            early = it < exaggerated
            _attractive_forces(Y, indptr, indices, pdata, attraction)
            repulsion, _ = repulsive_forces(Y)
            _gradient_step(Y, attraction, repulsion, update, gains,
                           self.early_exaggeration if early else 1.0, 0.5 if early else 0.8, lr)
            if it % 50 == 49 and not np.isfinite(Y).all():
                raise ValueError(f"t-SNE diverged at iteration {it + 1} (the map became infinite); "
                                 f"try a lower learning rate or a different perplexity")
            if self.snapshot_every and (it % int(self.snapshot_every) == 0 or it == n_iter - 1):
                self.history_.append(Y.astype(np.float32))
        self.embedding_ = Y.astype(np.float32)
        z = None if n <= EXACT_BELOW else repulsive_forces(Y)[1]  # the grid's Z: the exact sum is O(N²)
        self.kl_divergence_ = _kl_divergence(Y, indptr, indices, pdata, -1.0 if z is None else z)
        self.n_iter_ = n_iter
        self.n_features_in_ = X.shape[1]
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_

    def transform(self, X):
        raise NotImplementedError(
            "t-SNE cannot place new points: its map is an optimisation over the fitted points, not a "
            "function of the features. Fit again with the new points included, or use PCA or UMAP, "
            "which have a transform.")


def conditional_probabilities(sq_dist: np.ndarray, perplexity: float, n_steps: int = 40) -> np.ndarray:
    """p_{j|i} over each row's neighbours (N, k), with β_i bisected so that H(p_{·|i}) = log(perplexity)."""
    target = math.log(perplexity)
    d = sq_dist - sq_dist[:, :1]  # shift by the nearest distance: same p, no overflow
    lo = np.full(len(d), -50.0)  # bisection on log β
    hi = np.full(len(d), 50.0)
    for _ in range(n_steps):
        mid = (lo + hi) / 2
        beta = np.exp(mid)[:, None]
        w = np.exp(-beta * d)
        s = w.sum(1)
        entropy = np.log(s) + (beta[:, 0] * (d * w).sum(1)) / s
        too_flat = entropy > target  # β too small
        lo = np.where(too_flat, mid, lo)
        hi = np.where(too_flat, hi, mid)
    w = np.exp(-np.exp((lo + hi) / 2)[:, None] * d)
    return w / w.sum(1, keepdims=True)


@njit(cache=True, parallel=True)
def _attractive_forces(Y, indptr, indices, pdata, out):
    """out_i = Σ_j p_ij w_ij (y_i - y_j) over the sparse P (CSR); rows in parallel."""
    for i in prange(Y.shape[0]):
        fx = 0.0
        fy = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            dx = Y[i, 0] - Y[j, 0]
            dy = Y[i, 1] - Y[j, 1]
            w = pdata[p] / (1.0 + dx * dx + dy * dy)
            fx += w * dx
            fy += w * dy
        out[i, 0] = fx
        out[i, 1] = fy


@njit(cache=True)
def _gradient_step(Y, attraction, repulsion, update, gains, exaggeration, momentum, lr):
    """One step of gradient descent with momentum and per-coordinate gains (Jacobs 1988), in place."""
    n = Y.shape[0]
    for i in range(n):
        for c in range(2):
            grad = 4.0 * (exaggeration * attraction[i, c] - repulsion[i, c])
            if update[i, c] * grad < 0.0:  # the step keeps its direction: grow the gain
                gains[i, c] += 0.2
            else:
                gains[i, c] = max(gains[i, c] * 0.8, 0.01)
            update[i, c] = momentum * update[i, c] - lr * gains[i, c] * grad
            Y[i, c] += update[i, c]
    for c in range(2):
        Y[:, c] -= Y[:, c].mean()


@njit(cache=True)
def _kl_divergence(Y, indptr, indices, pdata, z):
    """KL(P||Q) over the sparse P; Z given, or (z < 0) by the exact all-pairs sum (once, at the end)."""
    n = Y.shape[0]
    if z < 0.0:
        z = 0.0
        for i in range(n):
            for j in range(i + 1, n):
                dx = Y[i, 0] - Y[j, 0]
                dy = Y[i, 1] - Y[j, 1]
                z += 2.0 / (1.0 + dx * dx + dy * dy)
    kl = 0.0
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if pdata[p] > 0:
                dx = Y[i, 0] - Y[j, 0]
                dy = Y[i, 1] - Y[j, 1]
                q = 1.0 / (1.0 + dx * dx + dy * dy) / z
                kl += pdata[p] * math.log(pdata[p] / max(q, 1e-300))
    return kl


@njit(cache=True)
def _spread_charges(Y, x0, y0, h, grid):
    """Bilinear ('cloud in cell') spreading of the charges 1, y_x, y_y onto grid (3, G, G)."""
    g = grid.shape[1]
    for i in range(Y.shape[0]):
        gx = (Y[i, 0] - x0) / h
        gy = (Y[i, 1] - y0) / h
        ix = min(int(gx), g - 2)
        iy = min(int(gy), g - 2)
        fx = gx - ix
        fy = gy - iy
        w00 = (1 - fx) * (1 - fy)
        w10 = fx * (1 - fy)
        w01 = (1 - fx) * fy
        w11 = fx * fy
        for c in range(3):
            v = 1.0 if c == 0 else Y[i, c - 1]
            grid[c, ix, iy] += w00 * v
            grid[c, ix + 1, iy] += w10 * v
            grid[c, ix, iy + 1] += w01 * v
            grid[c, ix + 1, iy + 1] += w11 * v


@njit(cache=True)
def _gather_potentials(Y, x0, y0, h, pot, out):
    """Bilinear read-back of the potentials pot (4, G, G) at the points into out (N, 4), each point's own
    charge taken out exactly as the grid saw it (its spread charge seen through the same weights)."""
    g = pot.shape[1]
    wts = np.empty(4)
    for i in range(Y.shape[0]):
        gx = (Y[i, 0] - x0) / h
        gy = (Y[i, 1] - y0) / h
        ix = min(int(gx), g - 2)
        iy = min(int(gy), g - 2)
        fx = gx - ix
        fy = gy - iy
        wts[0] = (1 - fx) * (1 - fy)  # node (ix, iy)
        wts[1] = fx * (1 - fy)  # (ix + 1, iy)
        wts[2] = (1 - fx) * fy  # (ix, iy + 1)
        wts[3] = fx * fy  # (ix + 1, iy + 1)
        for c in range(4):
            out[i, c] = (wts[0] * pot[c, ix, iy] + wts[1] * pot[c, ix + 1, iy]
                         + wts[2] * pot[c, ix, iy + 1] + wts[3] * pot[c, ix + 1, iy + 1])
        self1 = 0.0  # Σ_ab w_a w_b K1(node a - node b): the point's interaction with itself on the grid
        self2 = 0.0
        for a in range(4):
            for b in range(4):
                ddx = (a % 2) - (b % 2)
                ddy = (a // 2) - (b // 2)
                k1 = 1.0 / (1.0 + h * h * (ddx * ddx + ddy * ddy))
                self1 += wts[a] * wts[b] * k1
                self2 += wts[a] * wts[b] * k1 * k1
        out[i, 0] -= self1
        out[i, 1] -= self2
        out[i, 2] -= self2 * Y[i, 0]
        out[i, 3] -= self2 * Y[i, 1]


@njit(cache=True, parallel=True)
def _exact_repulsion(Y, out, zrow):
    """out_i = Σ_j w_ij² (y_i - y_j) and zrow_i = Σ_{j≠i} w_ij by the all-pairs sum (small maps)."""
    n = Y.shape[0]
    for i in prange(n):
        fx = 0.0
        fy = 0.0
        z = 0.0
        for j in range(n):
            if j == i:
                continue
            dx = Y[i, 0] - Y[j, 0]
            dy = Y[i, 1] - Y[j, 1]
            w = 1.0 / (1.0 + dx * dx + dy * dy)
            z += w
            fx += w * w * dx
            fy += w * w * dy
        out[i, 0] = fx
        out[i, 1] = fy
        zrow[i] = z


EXACT_BELOW = 2000  # up to this many points the exact O(N²) repulsion is as fast as the grid, and exact


_KERNEL_SPECTRA: dict[tuple[int, int, float], np.ndarray] = {}


def _kernel_spectra(g: int, m: int, h: float) -> np.ndarray:
    """FFT of the kernels w = 1/(1+d²) and w² on the padded (m, m) grid of node offsets (cached)."""
    key = (g, m, h)
    if key not in _KERNEL_SPECTRA:
        if len(_KERNEL_SPECTRA) > 256:
            _KERNEL_SPECTRA.clear()
        offsets = np.arange(m, dtype=np.float64)
        offsets = np.where(offsets < g, offsets, offsets - m) * h  # signed node offsets, in map units
        d2 = offsets[:, None] ** 2 + offsets[None, :] ** 2  # (m, m)
        w1 = 1.0 / (1.0 + d2)
        _KERNEL_SPECTRA[key] = scipy.fft.rfft2(np.stack([w1, w1 * w1]).astype(np.float32))  # (2, m, m//2+1)
    return _KERNEL_SPECTRA[key]


def repulsive_forces(Y: np.ndarray, cell: float = 0.5, min_nodes: int = 16,
                     max_nodes: int = 160) -> tuple[np.ndarray, float]:
    """(1/Z) Σ_j w_ij² (y_i - y_j) for every point (N, 2), and Z, by grid interpolation and FFT.

    Up to ``EXACT_BELOW`` points the sum is exact. Grid cells are about ``cell`` map units wide (the kernel's width is 1), at most ``max_nodes``
    a side; the cell width is rounded up to a step of 2^(1/8) so the kernels' FFTs can be reused.
    """
    n = len(Y)
    if n <= EXACT_BELOW:
        forces, zrow = np.empty_like(Y), np.empty(n)
        _exact_repulsion(Y, forces, zrow)
        z = max(zrow.sum(), 1e-12)
        return forces / z, z
    lo = Y.min(0) - 1e-6
    span = float((Y.max(0) - lo).max()) + 1e-6
    g = int(min(max(math.ceil(span / cell) + 2, min_nodes), max_nodes))  # nodes per side
    h = 2.0 ** (math.ceil(8 * math.log2(span / (g - 1.5))) / 8)  # cell width, quantised, ≥ span/(g-1.5)
    grid = np.zeros((3, g, g), dtype=np.float32)
    _spread_charges(Y, lo[0], lo[1], h, grid)
    m = scipy.fft.next_fast_len(2 * g - 1, real=True)  # padded size: circular = linear convolution
    kernels = _kernel_spectra(g, m, h)
    charges = scipy.fft.rfft2(grid, s=(m, m))  # (3, m, m//2+1)
    spectra = np.stack([charges[0] * kernels[0], charges[0] * kernels[1],
                        charges[1] * kernels[1], charges[2] * kernels[1]])
    pot = scipy.fft.irfft2(spectra, s=(m, m))[:, :g, :g]  # (4, g, g)
    phi = np.empty((n, 4))
    _gather_potentials(Y, lo[0], lo[1], h, np.ascontiguousarray(pot), phi)
    z = max(phi[:, 0].sum(), 1e-12)  # Σ_{i≠j} w_ij (self-interaction already taken out)
    repulsion = (Y * phi[:, 1:2] - phi[:, 2:4]) / z  # y_i Σ w² - Σ w² y_j, per point
    return repulsion, z
