import math

import pytest
import torch

from replearn_core.ssl.losses import nt_xent


def reference_nt_xent(z1, z2, temperature):
    """NT-Xent written out with explicit loops over the 2N anchors, as in the SimCLR paper."""
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    n2 = len(z)
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        partner = (i + n) % n2
        denominator = sum(math.exp(float(z[i] @ z[k]) / temperature) for k in range(n2) if k != i)
        total += -math.log(math.exp(float(z[i] @ z[partner]) / temperature) / denominator)
    return total / n2


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_matches_explicit_cross_entropy_over_similarities(temperature):
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(reference_nt_xent(z1, z2, temperature), rel=1e-5)


def test_symmetric_in_the_views_and_invariant_to_scale():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    assert nt_xent(z1, z2).item() == pytest.approx(nt_xent(z2, z1).item(), rel=1e-6)
    assert nt_xent(3 * z1, 0.5 * z2).item() == pytest.approx(nt_xent(z1, z2).item(), rel=1e-5)


def test_perfect_pairs_score_lower_than_random_and_random_is_about_log_2n_minus_1():
    g = torch.Generator().manual_seed(2)
    n = 32
    z = torch.randn(n, 256, generator=g)
    random_loss = nt_xent(z, torch.randn(n, 256, generator=g), 1.0).item()
    assert random_loss == pytest.approx(math.log(2 * n - 1), rel=0.05)
    # orthogonal one-hot codes, identical across the views: each partner is found with high confidence
    codes = torch.eye(n)
    assert nt_xent(codes, codes, 0.05).item() < 1e-3


def test_gradient_flows_to_both_views():
    z1 = torch.randn(4, 3, requires_grad=True)
    z2 = torch.randn(4, 3, requires_grad=True)
    nt_xent(z1, z2).backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0


@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((4, 3), (4, 2)), ((4,), (4,))])
def test_shape_errors_raise_value_error(shapes):
    with pytest.raises(ValueError):
        nt_xent(torch.randn(*shapes[0]), torch.randn(*shapes[1]))


def test_non_positive_temperature_is_rejected():
    with pytest.raises(ValueError):
        nt_xent(torch.randn(4, 3), torch.randn(4, 3), 0.0)
