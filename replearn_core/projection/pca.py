"""Principal component analysis: the linear map, and the only one of the three that can place new points.

PCA (Pearson 1901; Hotelling 1933) projects centred features onto the directions of largest
variance: with the SVD ``X - mean = U S Vᵀ`` the embedding is ``(X - mean) V[:, :k]`` and
component j explains ``S_j² / Σ S²`` of the variance.

>>> pca = PCA(n_components=2).fit(features)   # features (N, D)
>>> coords = pca.transform(new_features)       # (M, 2)
"""

from __future__ import annotations

import numpy as np
import torch

from replearn_core.projection.neighbors import check_features


class PCA:
    """Linear projection onto the top principal components.

    Fitted attributes: ``mean_`` (D,), ``components_`` (k, D), ``explained_variance_ratio_`` (k,),
    ``embedding_`` (N, k) for the fitted points.
    """

    def __init__(self, n_components: int = 2, random_state: int | None = 0):
        self.n_components = n_components
        self.random_state = random_state  # unused (PCA is deterministic); kept so all maps take a seed

    def fit(self, X, y=None) -> "PCA":
        X = check_features(X)
        k = int(self.n_components)
        if not 1 <= k <= min(X.shape):
            raise ValueError(f"n_components must be between 1 and min(points, dimensions) = {min(X.shape)}, "
                             f"got {self.n_components}")
        x = torch.from_numpy(X).double()
        self.mean_ = x.mean(0).float().numpy()
        centred = x - x.mean(0)
        if centred.shape[0] > centred.shape[1]:
            # more points than dimensions: eigenvectors of the (D, D) covariance, much cheaper than the SVD
            evals, evecs = torch.linalg.eigh(centred.T @ centred)  # ascending
            var = evals.flip(0).clamp_min(0.0)
            comps = evecs.flip(1).T[:k]  # (k, D)
        else:
            _, s, vh = torch.linalg.svd(centred, full_matrices=False)  # vh (min(N,D), D)
            var = s ** 2
            comps = vh[:k]
        # a fixed sign convention (largest |loading| positive) so the same data give the same picture
        signs = torch.sign(comps.gather(1, comps.abs().argmax(1, keepdim=True)))
        comps = comps * signs
        self.components_ = comps.float().numpy()
        self.explained_variance_ratio_ = (var[:k] / var.sum().clamp_min(1e-30)).float().numpy()
        self.embedding_ = (centred @ comps.T).float().numpy()  # (N, k)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        if not hasattr(self, "components_"):
            raise RuntimeError("call fit before transform")
        X = check_features(X, min_points=1)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} dimensions, got {X.shape[1]}")
        return ((X - self.mean_) @ self.components_.T).astype(np.float32)

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_
