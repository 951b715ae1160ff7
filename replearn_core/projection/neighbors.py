"""k nearest neighbours, shared by t-SNE and UMAP: exact below :data:`EXACT_UP_TO` points, approximate above.

Exact (:func:`exact_knn`): one matrix product per block of rows. Ranking the points of X by distance to a
query q needs only ``||x||² - 2 q·x`` (``||q||²`` is the same for every x), one fused ``addmm`` per block;
the true distance is then computed for the k kept. Cosine distance ``1 - cos`` ranks by ``q·x`` of the
normalised rows. Exact, deterministic, and the fastest choice up to a few ten thousand points.

Approximate (:func:`approximate_knn`), for larger maps, where the N² products dominate (100,000 points:
10^10 of them): random-projection trees refined by nearest-neighbour descent, as pynndescent does.

1. A random-projection tree splits the points at the median of their projection on the line through two
   random points, again and again, until each leaf holds at most ~128; every point is compared exactly with
   the others of its leaf (one batched matrix product). Eight seeded trees, their candidates merged.
2. NN-descent (Dong et al. 2011, https://doi.org/10.1145/1963405.1963487): "a neighbour of a neighbour is
   likely a neighbour"; each point compares itself with its neighbours' neighbours, a few rounds. It
   repairs the points near a leaf's border, where the trees miss some true neighbours.

:func:`knn_recall` measures the result against the exact search on a sample (the tests and the
benchmark print it: the quality is measured, never assumed).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from replearn_core.projection._numba import njit

METRICS = ("euclidean", "cosine")
EXACT_UP_TO = 30_000  # above this many points the search is approximate (measured: recall ≥ 0.97, see knn_recall)


def check_features(X, name: str = "features", min_points: int = 2) -> np.ndarray:
    """Validate a (N, D) feature matrix and return it as float32; clear errors for bad input."""
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (points × dimensions), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    X = X.astype(np.float32, copy=False)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
        raise ValueError(f"{name} contain NaN or infinite values in {len(rows)} row(s) ({shown}); "
                         f"the encoder may have diverged. Drop those rows or use another checkpoint.")
    if len(X) < min_points:
        raise ValueError(f"need at least {min_points} points, got {len(X)}")
    return X


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    return metric


def knn(X: np.ndarray, k: int, metric: str = "euclidean", query: np.ndarray | None = None,
        exact: bool | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (M, k) int64 and distances (M, k) float32 of the k nearest points of X, nearest first.

    Without ``query`` the neighbours of X's own points (M = N), each point excluded from its own list;
    with ``query`` (M, D) the neighbours in X of those new points (always exact). Euclidean distances are
    true distances (not squared); cosine distances are ``1 - cos``. ``exact``: None = exact up to
    :data:`EXACT_UP_TO` points, approximate above (:func:`approximate_knn`).
    """
    n = len(X)
    limit = n if query is not None else n - 1
    if not 1 <= k <= limit:
        raise ValueError(f"cannot find {k} neighbours among {n} points: need more points than neighbours "
                         f"(lower the number of neighbours / perplexity, or use more points)")
    if exact is None:
        exact = query is not None or n <= EXACT_UP_TO
    if exact:
        return exact_knn(X, k, metric, query)
    return approximate_knn(X, k, metric, seed=seed)


def _prepared(X: np.ndarray, metric: str) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    return torch.nn.functional.normalize(x, dim=1) if metric == "cosine" else x


def _ranked(q: torch.Tensor, x: torch.Tensor, x_sq: torch.Tensor, metric: str) -> torch.Tensor:
    """(m, c) scores that order x by distance to each row of q, smallest first (not yet distances)."""
    if metric == "cosine":
        return -(q @ x.T)  # -cos
    return torch.addmm(x_sq[None, :], q, x.T, alpha=-2.0)  # ||x||² - 2 q·x  (+ ||q||² = d²)


def _distances(top: torch.Tensor, q: torch.Tensor, metric: str) -> torch.Tensor:
    """Ranking scores of the kept neighbours -> true distances (euclidean) or 1 - cos (cosine)."""
    if metric == "cosine":
        return (1.0 + top).clamp_min(0.0)
    return (top + (q * q).sum(1, keepdim=True)).clamp_min(0.0).sqrt()


def exact_knn(X: np.ndarray, k: int, metric: str = "euclidean", query: np.ndarray | None = None,
              chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """The exact search of :func:`knn` (blocked matrix products, see the module docstring)."""
    x = _prepared(X, metric)
    qx = x if query is None else _prepared(query, metric)
    x_sq = (x * x).sum(1)  # (N,)
    idx_out = np.empty((len(qx), k), dtype=np.int64)
    dist_out = np.empty((len(qx), k), dtype=np.float32)
    for start in range(0, len(qx), chunk):
        q = qx[start:start + chunk]  # (c, D)
        d = _ranked(q, x, x_sq, metric)  # (c, N)
        if query is None:
            d[torch.arange(len(q)), torch.arange(start, start + len(q))] = float("inf")  # not its own neighbour
        top_d, top_i = torch.topk(d, k, dim=1, largest=False)  # (c, k), sorted nearest first
        idx_out[start:start + len(q)] = top_i.numpy()
        dist_out[start:start + len(q)] = _distances(top_d, q, metric).numpy()
    return idx_out, dist_out


def _rp_leaves(x: np.ndarray, leaf_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One random-projection tree: split the points at the median of their projection on the line through
    two random points of the node, until a node holds at most ``leaf_size``; its leaves (point numbers)."""
    leaves, stack = [], [np.arange(len(x))]
    while stack:
        node = stack.pop()
        if len(node) <= leaf_size:
            leaves.append(node)
            continue
        a, b = rng.choice(len(node), 2, replace=False)
        direction = x[node[a]] - x[node[b]]  # (D,)
        projected = x[node] @ direction  # (len(node),)
        order = np.argpartition(projected, len(node) // 2)
        stack += [node[order[:len(node) // 2]], node[order[len(node) // 2:]]]  # halves: every leaf alike
    return leaves


def _leaf_neighbours(x: torch.Tensor, leaves: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours of every point among the points of its own leaf: (N, k) ids, squared
    distances. Leaves are padded to one size and searched in one batched matrix product."""
    size = max(len(leaf) for leaf in leaves)
    padded = np.full((len(leaves), size), len(x), dtype=np.int64)  # len(x): a padding row, infinitely far
    for row, leaf in enumerate(leaves):
        padded[row, :len(leaf)] = leaf
    ids = torch.from_numpy(padded)
    xp = torch.cat([x, torch.zeros(1, x.shape[1])])[ids]  # (L, S, D)
    sq = (xp * xp).sum(2)  # (L, S)
    d = sq[:, :, None] + sq[:, None, :] - 2.0 * torch.bmm(xp, xp.transpose(1, 2))  # (L, S, S)
    pad = ids == len(x)
    d.masked_fill_(pad[:, None, :], float("inf"))
    d.diagonal(dim1=1, dim2=2).fill_(float("inf"))  # not its own neighbour
    top_d, top_i = torch.topk(d, k, dim=2, largest=False)  # (L, S, k)
    neighbours = torch.gather(ids[:, None, :].expand(-1, size, -1), 2, top_i)  # (L, S, k) point ids
    keep = ~pad.reshape(-1)
    out_idx = np.empty((len(x), k), dtype=np.int64)
    out_sq = np.empty((len(x), k), dtype=np.float32)
    rows = padded.reshape(-1)[keep.numpy()]
    out_idx[rows] = neighbours.reshape(-1, k)[keep].numpy()
    out_sq[rows] = top_d.reshape(-1, k)[keep].clamp_min(0.0).numpy()
    return out_idx, out_sq


def _merge(idx: np.ndarray, sq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest of each row's candidates (N, m), each candidate once, nearest first."""
    by_id = np.argsort(idx, axis=1, kind="stable")
    idx = np.take_along_axis(idx, by_id, 1)
    sq = np.take_along_axis(sq, by_id, 1)
    repeated = np.zeros(idx.shape, dtype=bool)
    repeated[:, 1:] = idx[:, 1:] == idx[:, :-1]
    sq = np.where(repeated | (idx >= len(idx)), np.inf, sq)
    best = np.argsort(sq, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, best, 1), np.take_along_axis(sq, best, 1)


def approximate_knn(X: np.ndarray, k: int, metric: str = "euclidean", trees: int = 8, descent_rounds: int = 3,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The approximate search of :func:`knn` for large N (see the module docstring): ``trees`` random-
    projection trees, exact search inside each leaf, then up to ``descent_rounds`` rounds of NN-descent.
    Same output as :func:`exact_knn`; seeded, so the same input gives the same neighbours."""
    x = _prepared(X, metric)
    points = np.ascontiguousarray(x.numpy())
    rng = np.random.default_rng(seed)
    leaf_size = max(128, 2 * k + 4)  # leaves hold between leaf_size / 2 and leaf_size points, so > k
    found, leaves = [], []
    for _ in range(trees):
        leaves = _rp_leaves(points, leaf_size, rng)
        found.append(_leaf_neighbours(x, leaves, k))
    idx, sq = _merge(np.concatenate([f[0] for f in found], 1), np.concatenate([f[1] for f in found], 1), k)
    # NN-descent in the last tree's leaf order: neighbours are then near in memory too (fewer cache misses)
    order = np.concatenate(leaves)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    local_idx = np.ascontiguousarray(rank[idx[order]])
    local_sq = np.ascontiguousarray(sq[order], dtype=np.float32)
    local_points = np.ascontiguousarray(points[order])
    fresh = np.ones(idx.shape, dtype=np.bool_)
    for _ in range(descent_rounds):
        if _descend(local_points, local_idx, local_sq, fresh, min(k, 16)) < len(points) // 1000:  # converged
            break
    idx, sq = np.empty_like(idx), np.empty_like(local_sq)
    idx[order], sq[order] = order[local_idx], local_sq
    sq = np.maximum(sq, 0.0)
    return idx, (sq / 2.0 if metric == "cosine" else np.sqrt(sq)).astype(np.float32)  # |a-b|² = 2 - 2cos


@njit(cache=True)
def _descend(X, idx, sq, fresh, width):
    """One round of NN-descent in place: each point i tries the first ``width`` neighbours of its first
    ``width`` neighbours; one nearer than i's k-th is inserted in order. A pair of two entries that were
    both there in the round before was tried then, and is skipped (``fresh`` marks the new entries).
    Returns how many were inserted."""
    n, k = idx.shape
    dims = X.shape[1]
    inserted = 0
    was_fresh = fresh.copy()
    fresh[:, :] = False
    for i in range(n):
        for a in range(width):
            j = idx[i, a]
            for b in range(width):
                if not (was_fresh[i, a] or was_fresh[j, b]):
                    continue
                cand = idx[j, b]
                if cand == i:
                    continue
                s = 0.0
                for t in range(dims):
                    diff = X[i, t] - X[cand, t]
                    s += diff * diff
                if s >= sq[i, k - 1]:
                    continue
                known = False
                for c in range(k):
                    if idx[i, c] == cand:
                        known = True
                        break
                if known:
                    continue
                p = k - 1
                while p > 0 and sq[i, p - 1] > s:
                    sq[i, p] = sq[i, p - 1]
                    idx[i, p] = idx[i, p - 1]
                    fresh[i, p] = fresh[i, p - 1]
                    p -= 1
                sq[i, p] = s
                idx[i, p] = cand
                fresh[i, p] = True
                inserted += 1
    return inserted


def knn_recall(X: np.ndarray, idx: np.ndarray, metric: str = "euclidean", sample: int = 1000,
               seed: int = 0) -> float:
    """Share of the true k nearest neighbours that ``idx`` (N, k) found, on a seeded sample of points."""
    n, k = idx.shape
    rows = np.sort(np.random.default_rng(seed).permutation(n)[:sample])
    true_idx, _ = exact_knn(X, k + 1, metric, query=X[rows])
    hits = 0
    for r, row in enumerate(rows):
        truth = [j for j in true_idx[r] if j != row][:k]
        hits += len(set(truth) & set(idx[row].tolist()))
    return hits / (len(rows) * k)
