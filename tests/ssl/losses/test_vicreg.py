import math

import pytest
import torch

from replearn_core.ssl.losses.vicreg import vicreg, vicreg_terms


def reference_vicreg(z1, z2, lam=25.0, mu=25.0, nu=1.0, gamma=1.0, eps=1e-4):
    """The paper's three terms (Bardes et al. 2022, section 2 and Algorithm 1), written element by element."""
    z1, z2 = z1.double().tolist(), z2.double().tolist()
    n, d = len(z1), len(z1[0])
    invariance = sum((z1[b][j] - z2[b][j]) ** 2 for b in range(n) for j in range(d)) / (n * d)

    def variance(z):
        total = 0.0
        for j in range(d):
            mean = sum(z[b][j] for b in range(n)) / n
            var = sum((z[b][j] - mean) ** 2 for b in range(n)) / (n - 1)
            total += max(0.0, gamma - math.sqrt(var + eps))
        return total / d

    def covariance(z):
        means = [sum(z[b][j] for b in range(n)) / n for j in range(d)]
        total = 0.0
        for i in range(d):
            for j in range(d):
                if i != j:
                    c = sum((z[b][i] - means[i]) * (z[b][j] - means[j]) for b in range(n)) / (n - 1)
                    total += c ** 2
        return total / d

    s, v, c = invariance, variance(z1) + variance(z2), covariance(z1) + covariance(z2)
    return lam * s + mu * v + nu * c, (s, v, c)


@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])  # stds below γ (the hinge is active), around it, above it
def test_matches_the_term_by_term_reference(scale):
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(12, 5, generator=g) * scale
    z2 = z1 + 0.2 * torch.randn(12, 5, generator=g)
    expected, terms = reference_vicreg(z1, z2)
    assert vicreg(z1, z2).item() == pytest.approx(expected, rel=1e-5)
    assert [t.item() for t in vicreg_terms(z1, z2)] == pytest.approx(list(terms), rel=1e-5, abs=1e-7)
    weighted, _ = reference_vicreg(z1, z2, lam=1.0, mu=2.0, nu=0.5)
    assert vicreg(z1, z2, 1.0, 2.0, 0.5).item() == pytest.approx(weighted, rel=1e-5)


def test_a_collapsed_batch_pays_the_variance_hinge_and_nothing_else():
    z = torch.ones(8, 4)  # every image on one point: the views agree and nothing covaries
    invariance, variance, covariance = vicreg_terms(z, z)
    assert invariance.item() == 0 and covariance.item() == 0
    assert variance.item() == pytest.approx(2 * (1 - math.sqrt(1e-4)), rel=1e-6)  # both views, every dimension
    assert vicreg(z, z).item() == pytest.approx(25 * 2 * (1 - math.sqrt(1e-4)), rel=1e-6)


def test_spread_decorrelated_identical_views_cost_nothing():
    z = 3 * torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])  # std > 1, no covariance
    assert vicreg(z, z).item() == pytest.approx(0.0, abs=1e-6)


def test_the_gradient_is_finite_at_collapse_and_pushes_the_views_apart():
    z = torch.zeros(6, 3, requires_grad=True)
    noise = torch.randn(6, 3, generator=torch.Generator().manual_seed(2)) * 1e-3
    loss = vicreg(z + noise, z + noise)
    loss.backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        vicreg(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError):
        vicreg(torch.zeros(1, 3), torch.zeros(1, 3))
