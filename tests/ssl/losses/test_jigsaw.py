import math

import pytest
import torch
import torch.nn.functional as F

from replearn_core.ssl.losses import permutation_cross_entropy


def test_uniform_guessing_costs_log_k():
    logits = torch.zeros(6, 12)
    assert permutation_cross_entropy(logits, torch.arange(6)).item() == pytest.approx(math.log(12))


def test_matches_the_negative_log_softmax_of_the_true_class():
    g = torch.Generator().manual_seed(0)
    logits, classes = torch.randn(5, 8, generator=g), torch.randint(8, (5,), generator=g)
    expected = -sum(F.log_softmax(logits[b], 0)[classes[b]].item() for b in range(5)) / 5
    assert permutation_cross_entropy(logits, classes).item() == pytest.approx(expected, rel=1e-6)


def test_shape_errors_raise_value_error():
    with pytest.raises(ValueError):
        permutation_cross_entropy(torch.zeros(4, 8), torch.zeros(3, dtype=torch.long))
