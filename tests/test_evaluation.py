"""The representation meters on hand-made data with known answers."""

import math

import numpy as np
import pytest
import torch

from replearn_core.evaluation import (alignment, collapse_std, effective_rank, knn_accuracy, linear_probe_accuracy,
                                      representation_report, uniformity)


def test_knn_accuracy_hand_computed():
    # a bank of four points on two axes; k=1 sends each query to the nearest direction
    bank = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    bank_labels = torch.tensor([0, 0, 1, 1])
    queries = torch.tensor([[2.0, 0.1], [0.2, 3.0], [1.0, 0.8]])  # nearest: class 0, class 1, class 0
    assert knn_accuracy(bank, bank_labels, queries, torch.tensor([0, 1, 0]), k=1) == 1.0
    assert knn_accuracy(bank, bank_labels, queries, torch.tensor([0, 1, 1]), k=1) == pytest.approx(2 / 3)


def test_knn_votes_are_similarity_weighted():
    # k=3: two far neighbours of class 1 are outvoted by one very close neighbour of class 0
    bank = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    query = torch.tensor([[1.0, 0.05]])
    # weights exp(cos/0.07): exp(~1/0.07) for class 0 beats 2·exp(~0.05/0.07) for class 1
    assert knn_accuracy(bank, labels, query, torch.tensor([0]), k=3) == 1.0
    # with a flat temperature the majority wins
    assert knn_accuracy(bank, labels, query, torch.tensor([1]), k=3, temperature=100.0) == 1.0


def test_knn_exclude_self_and_empty_input():
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
    labels = torch.tensor([0, 1, 1])
    # scored on its own bank, each point would find itself; excluded, the lone class-0 point is wrong
    assert knn_accuracy(feats, labels, feats, labels, k=1) == 1.0
    assert knn_accuracy(feats, labels, feats, labels, k=1, exclude_self=True) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        knn_accuracy(feats[:0], labels[:0], feats, labels)


def test_knn_takes_arrays_as_well_as_tensors():
    g = torch.Generator().manual_seed(0)
    bank, queries = torch.randn(60, 5, generator=g), torch.randn(30, 5, generator=g)
    bank_labels, query_labels = torch.arange(60) % 3, torch.arange(30) % 3
    expected = knn_accuracy(bank, bank_labels, queries, query_labels, k=7)
    assert knn_accuracy(bank.numpy(), bank_labels.numpy(), queries.numpy(), query_labels.numpy(), k=7) == expected


def blobs(n_per_class: int, classes: int, dim: int, spread: float, seed: int):
    """Gaussian blobs around well-separated centres: (features (n, dim), labels (n,))."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), n_per_class)
    centres = np.eye(classes, dim) * 10
    return centres[labels] + spread * rng.standard_normal((len(labels), dim)), labels


def test_linear_probe_separates_separable_blobs():
    x_train, y_train = blobs(50, 4, 8, 1.0, seed=0)
    x_test, y_test = blobs(25, 4, 8, 1.0, seed=1)
    assert linear_probe_accuracy(x_train, y_train, x_test, y_test) == 1.0
    # tensors give the same answer as arrays
    assert linear_probe_accuracy(torch.from_numpy(x_train), torch.from_numpy(y_train), torch.from_numpy(x_test),
                                 torch.from_numpy(y_test)) == 1.0


def test_linear_probe_is_at_chance_on_random_labels():
    rng = np.random.default_rng(0)
    x_train, x_test = rng.standard_normal((600, 16)), rng.standard_normal((3000, 16))
    y_train, y_test = rng.integers(0, 4, 600), rng.integers(0, 4, 3000)
    assert linear_probe_accuracy(x_train, y_train, x_test, y_test) == pytest.approx(0.25, abs=0.04)


def test_linear_probe_beats_a_majority_vote_where_knn_struggles():
    # one informative dimension among 50 noisy ones: linear, but far apart in cosine similarity
    rng = np.random.default_rng(3)
    y_train, y_test = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    x_train = np.concatenate([(2 * y_train - 1)[:, None] * 3.0, rng.standard_normal((400, 50)) * 3], 1)
    x_test = np.concatenate([(2 * y_test - 1)[:, None] * 3.0, rng.standard_normal((400, 50)) * 3], 1)
    probe = linear_probe_accuracy(x_train, y_train, x_test, y_test)
    assert probe > 0.95 > knn_accuracy(x_train, y_train, x_test, y_test)


def test_linear_probe_is_deterministic_and_ignores_feature_scale():
    x_train, y_train = blobs(40, 3, 6, 6.0, seed=4)  # overlapping classes: accuracy below 1
    x_test, y_test = blobs(40, 3, 6, 6.0, seed=5)
    accuracy = linear_probe_accuracy(x_train, y_train, x_test, y_test)
    assert 0.5 < accuracy < 1.0
    assert linear_probe_accuracy(x_train, y_train, x_test, y_test) == accuracy
    scale = np.arange(1, 7) * 100.0  # standardised first: per-dimension scale and shift change nothing
    assert linear_probe_accuracy(x_train * scale + 5, y_train, x_test * scale + 5, y_test) == pytest.approx(
        accuracy, abs=1 / len(y_test))


def test_linear_probe_with_one_training_class_predicts_it():
    x = np.random.default_rng(0).standard_normal((10, 3))
    assert linear_probe_accuracy(x, np.zeros(10), x, np.array([0] * 7 + [1] * 3)) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        linear_probe_accuracy(x[:0], np.zeros(0), x, np.zeros(10))


def test_collapse_std_zero_for_identical_rows_and_about_one_over_sqrt_d_for_gaussians():
    assert collapse_std(torch.randn(1, 64).repeat(100, 1)) == pytest.approx(0.0, abs=1e-6)
    g = torch.Generator().manual_seed(0)
    d = 256
    assert collapse_std(torch.randn(4000, d, generator=g)) == pytest.approx(1 / math.sqrt(d), rel=0.05)


def test_effective_rank_of_rank_one_and_isotropic_data():
    g = torch.Generator().manual_seed(0)
    rank_one = torch.randn(200, 1, generator=g) @ torch.randn(1, 32, generator=g)
    assert effective_rank(rank_one) == pytest.approx(1.0, abs=0.05)
    isotropic = torch.randn(5000, 16, generator=g)
    assert effective_rank(isotropic) > 15.0
    two_equal_axes = torch.cat([torch.randn(1000, 2, generator=g), torch.zeros(1000, 6)], dim=1)
    assert effective_rank(two_equal_axes) == pytest.approx(2.0, rel=0.05)


def test_alignment_zero_for_identical_views_and_four_for_opposite():
    z = torch.randn(50, 8)
    assert alignment(z, z) == pytest.approx(0.0, abs=1e-6)
    assert alignment(z, 3 * z) == pytest.approx(0.0, abs=1e-6)  # measured on normalised features
    assert alignment(z, -z) == pytest.approx(4.0, rel=1e-5)


def test_uniformity_lower_when_spread_than_when_clustered():
    g = torch.Generator().manual_seed(0)
    spread = torch.randn(500, 16, generator=g)
    clustered = torch.ones(500, 16) + 0.01 * torch.randn(500, 16, generator=g)
    assert uniformity(spread) < uniformity(clustered)
    assert uniformity(clustered) == pytest.approx(0.0, abs=0.01)  # all points together: log 1


def test_representation_report_has_every_meter():
    g = torch.Generator().manual_seed(0)
    bank, feats = torch.randn(40, 8, generator=g), torch.randn(20, 8, generator=g)
    report = representation_report(bank, torch.arange(40) % 4, feats, torch.arange(20) % 4, feats, feats, k=5)
    assert set(report) == {"knn_acc", "collapse_std", "collapse_ref", "effective_rank", "uniformity", "alignment"}
    assert report["collapse_ref"] == pytest.approx(1 / math.sqrt(8))
    assert report["alignment"] == pytest.approx(0.0, abs=1e-6)
