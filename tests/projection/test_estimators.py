import numpy as np
import pytest

from replearn_core.projection import PCA, TSNE, UMAP
from replearn_core.projection.tsne import conditional_probabilities, repulsive_forces
from replearn_core.projection.umap import fit_ab


def blobs(n_per=60, centers=3, dim=20, seed=0, spread=10.0):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centers, dim)) * spread
    y = np.repeat(np.arange(centers), n_per)
    return (c[y] + rng.standard_normal((len(y), dim))).astype(np.float32), y


def nearest_label_accuracy(coords, y):
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((y[d.argmin(1)] == y).mean())


@pytest.mark.parametrize("make", [lambda: PCA(random_state=0), lambda: TSNE(perplexity=10, n_iter=250),
                                  lambda: UMAP(n_neighbors=10, n_epochs=100)])
def test_output_shape_determinism_and_separation(make):
    X, y = blobs()
    a = make().fit_transform(X)
    b = make().fit_transform(X)
    assert a.shape == (len(X), 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)  # same seed, same map
    assert nearest_label_accuracy(a, y) > 0.95  # well separated blobs stay separated


def test_fit_returns_self_and_params_are_stored_untouched():
    est = TSNE(perplexity=7, metric="cosine")
    assert est.perplexity == 7 and est.metric == "cosine" and not hasattr(est, "embedding_")
    X, _ = blobs(n_per=20)
    assert est.fit(X) is est and est.embedding_.shape == (60, 2) and est.kl_divergence_ > 0


def test_umap_seed_changes_the_map():
    X, _ = blobs()
    a = UMAP(n_neighbors=10, n_epochs=50, random_state=0).fit_transform(X)
    b = UMAP(n_neighbors=10, n_epochs=50, random_state=1).fit_transform(X)
    assert not np.allclose(a, b)


def test_pca_matches_the_svd_and_transforms_new_points():
    X, _ = blobs(dim=5)
    pca = PCA(2).fit(X)
    centred = X - X.mean(0)
    _, s, vh = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    for k in range(2):  # same directions up to sign
        assert abs(abs(float(pca.components_[k] @ vh[k])) - 1) < 1e-4
    np.testing.assert_allclose(pca.explained_variance_ratio_, s[:2] ** 2 / (s ** 2).sum(), rtol=1e-4)
    np.testing.assert_allclose(pca.transform(X), pca.embedding_, atol=1e-3)


def test_tsne_has_no_transform_and_says_why():
    X, _ = blobs(n_per=20)
    tsne = TSNE(perplexity=5, n_iter=50).fit(X)
    with pytest.raises(NotImplementedError, match="cannot place new points"):
        tsne.transform(X)


def test_umap_transform_places_a_copy_near_its_original():
    X, y = blobs()
    umap = UMAP(n_neighbors=10, n_epochs=100).fit(X)
    new = umap.transform(X[:10] + 0.01)
    assert new.shape == (10, 2)
    spread = np.ptp(umap.embedding_, axis=0).max()
    assert np.abs(new - umap.embedding_[:10]).max() < 0.2 * spread


@pytest.mark.parametrize("make", [PCA, TSNE, UMAP])
def test_nan_and_infinite_rows_are_refused_with_a_clear_message(make):
    X, _ = blobs(n_per=20)
    X[3, 0] = np.nan
    X[7, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite values in 2 row"):
        make().fit(X)


def test_fewer_points_than_neighbours():
    X, _ = blobs(n_per=3)  # 9 points
    with pytest.raises(ValueError, match="fewer points"):
        UMAP(n_neighbors=15).fit(X)
    with pytest.raises(ValueError, match="perplexity"):
        TSNE(perplexity=30).fit(X)


def test_bad_parameters():
    X, _ = blobs(n_per=20)
    with pytest.raises(ValueError, match="metric"):
        UMAP(metric="manhattan").fit(X)
    with pytest.raises(ValueError, match="min_dist"):
        UMAP(min_dist=2).fit(X)
    with pytest.raises(ValueError, match="2-D"):
        PCA().fit(X[0])
    with pytest.raises(ValueError, match="n_components"):
        PCA(n_components=50).fit(X)


def test_perplexity_calibration_hits_the_target_entropy():
    rng = np.random.default_rng(0)
    d = np.sort(rng.uniform(0, 5, (50, 30)), axis=1)
    p = conditional_probabilities(d, perplexity=10)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-6)
    entropy = -(p * np.log(np.maximum(p, 1e-300))).sum(1)
    np.testing.assert_allclose(entropy, np.log(10), atol=1e-4)


def test_grid_repulsion_is_close_to_the_exact_sum(monkeypatch):
    import replearn_core.projection.tsne as tsne

    rng = np.random.default_rng(0)
    Y = rng.standard_normal((400, 2)) * 8
    rep_exact, z_small = repulsive_forces(Y)  # few points: the exact all-pairs sum
    monkeypatch.setattr(tsne, "EXACT_BELOW", 0)
    rep, z = repulsive_forces(Y)
    diff = Y[:, None] - Y[None]
    w = 1 / (1 + (diff ** 2).sum(-1))
    z_exact = w.sum() - len(Y)
    exact = ((w ** 2)[:, :, None] * diff).sum(1) / z_exact
    np.testing.assert_allclose(rep_exact, exact, rtol=1e-6, atol=1e-12)
    assert z_small == pytest.approx(z_exact)
    assert abs(z - z_exact) / z_exact < 0.05
    assert np.linalg.norm(rep - exact) / np.linalg.norm(exact) < 0.3


def test_umap_curve_parameters_match_the_published_values():
    a, b = fit_ab(0.1)  # umap-learn finds a = 1.577, b = 0.895 for min_dist = 0.1, spread = 1
    assert a == pytest.approx(1.577, abs=0.01) and b == pytest.approx(0.895, abs=0.01)
