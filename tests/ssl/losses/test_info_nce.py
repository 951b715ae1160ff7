import math

import pytest
import torch

from replearn_core.ssl.losses import info_nce


def reference_info_nce(q, k, queue, temperature):
    """Explicit log-softmax of [q·k, q·n_1, ..., q·n_K] / tau, picking the key, averaged over queries."""
    q = q.double() / q.double().norm(dim=1, keepdim=True)
    k = k.double() / k.double().norm(dim=1, keepdim=True)
    negatives = queue.double() / queue.double().norm(dim=1, keepdim=True)
    total = 0.0
    for i in range(len(q)):
        logits = [float(q[i] @ k[i]) / temperature] + [float(q[i] @ n) / temperature for n in negatives]
        log_normaliser = math.log(sum(math.exp(v) for v in logits))
        total += -(logits[0] - log_normaliser)
    return total / len(q)


@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_matches_explicit_log_softmax(temperature):
    g = torch.Generator().manual_seed(0)
    q, k, queue = torch.randn(5, 6, generator=g), torch.randn(5, 6, generator=g), torch.randn(11, 6, generator=g)
    assert info_nce(q, k, queue, temperature).item() == pytest.approx(reference_info_nce(q, k, queue, temperature),
                                                                       rel=1e-5)


def test_random_embeddings_score_about_log_k_plus_one():
    g = torch.Generator().manual_seed(1)
    q, k, queue = torch.randn(64, 512, generator=g), torch.randn(64, 512, generator=g), torch.randn(255, 512, generator=g)
    assert info_nce(q, k, queue, 1.0).item() == pytest.approx(math.log(256), rel=0.02)


def test_gradient_reaches_queries_not_keys_or_queue():
    q = torch.randn(4, 3, requires_grad=True)
    k = torch.randn(4, 3, requires_grad=True)
    queue = torch.randn(6, 3, requires_grad=True)
    info_nce(q, k, queue).backward()
    assert q.grad.abs().sum() > 0
    assert k.grad is None and queue.grad is None


@pytest.mark.parametrize("shapes", [((4, 3), (4, 3), (6, 2)), ((4, 3), (5, 3), (6, 3)), ((4, 3), (4, 3), (6,))])
def test_shape_errors_raise_value_error(shapes):
    with pytest.raises(ValueError):
        info_nce(*(torch.randn(*s) for s in shapes))
