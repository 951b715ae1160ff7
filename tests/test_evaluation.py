"""The representation meters on hand-made data with known answers."""

import math

import pytest
import torch

from replearn_core.evaluation import (alignment, collapse_std, effective_rank, knn_accuracy,
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
