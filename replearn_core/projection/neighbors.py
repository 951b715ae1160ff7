"""Exact k nearest neighbours, shared by t-SNE and UMAP.

For the few thousand to ten thousand points of a feature map an exact search is one
matrix product per chunk: ``||x - y||² = ||x||² + ||y||² - 2 x·y`` (euclidean) or
``1 - cos(x, y)`` (cosine). It is exact, deterministic and faster here than an
approximate index would be to build.
"""

from __future__ import annotations

import numpy as np
import torch

METRICS = ("euclidean", "cosine")


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
        chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Indices (M, k) int64 and distances (M, k) float32 of the k nearest points of X, nearest first.

    Without ``query`` the neighbours of X's own points (M = N), each point excluded from its own list;
    with ``query`` (M, D) the neighbours in X of those new points. Euclidean distances are true
    distances (not squared); cosine distances are ``1 - cos``.
    """
    n = len(X)
    limit = n if query is not None else n - 1
    if not 1 <= k <= limit:
        raise ValueError(f"cannot find {k} neighbours among {n} points: need more points than neighbours "
                         f"(lower the number of neighbours / perplexity, or use more points)")
    x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    qx = x if query is None else torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32))
    if metric == "cosine":
        x = torch.nn.functional.normalize(x, dim=1)
        qx = torch.nn.functional.normalize(qx, dim=1)
    sq = (x * x).sum(1)  # (N,)
    idx_out, dist_out = [], []
    for start in range(0, len(qx), chunk):
        q = qx[start:start + chunk]  # (c, D)
        if metric == "cosine":
            d = 1.0 - q @ x.T  # (c, N)
        else:
            d = ((q * q).sum(1)[:, None] + sq[None, :] - 2.0 * (q @ x.T)).clamp_min_(0.0)
        if query is None:
            d[torch.arange(len(q)), torch.arange(start, start + len(q))] = float("inf")  # not its own neighbour
        top_d, top_i = torch.topk(d, k, dim=1, largest=False)  # (c, k), sorted nearest first
        idx_out.append(top_i)
        dist_out.append(top_d.clamp_min(0.0).sqrt() if metric == "euclidean" else top_d.clamp_min(0.0))
    return torch.cat(idx_out).numpy().astype(np.int64), torch.cat(dist_out).numpy().astype(np.float32)
