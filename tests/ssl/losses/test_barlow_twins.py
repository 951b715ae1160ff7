import pytest
import torch

from replearn_core.ssl.losses import barlow_twins


def reference_barlow_twins(z1, z2, lambd):
    """The paper's pseudo-code (Zbontar et al. 2021, Algorithm 1), element by element."""
    z1, z2 = z1.double(), z2.double()
    n, d = z1.shape
    a = (z1 - z1.mean(0)) / z1.std(0, unbiased=False)
    b = (z2 - z2.mean(0)) / z2.std(0, unbiased=False)
    loss = 0.0
    for i in range(d):
        for j in range(d):
            c = float((a[:, i] * b[:, j]).sum()) / n
            loss += (1 - c) ** 2 if i == j else lambd * c ** 2
    return loss


def test_matches_element_wise_reference():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(16, 6, generator=g), torch.randn(16, 6, generator=g)
    assert barlow_twins(z1, z2, 0.01).item() == pytest.approx(reference_barlow_twins(z1, z2, 0.01), rel=1e-4)


def test_unchanged_by_an_affine_rescaling_of_each_feature():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(32, 8, generator=g), torch.randn(32, 8, generator=g)
    a = torch.rand(8, generator=g) * 3 + 0.2  # a > 0 per feature
    b = torch.randn(8, generator=g) * 5
    base = barlow_twins(z1, z2).item()
    assert barlow_twins(a * z1 + b, z2).item() == pytest.approx(base, rel=1e-4)
    assert barlow_twins(z1, 2 * z2 + 4).item() == pytest.approx(base, rel=1e-4)


def test_identical_decorrelated_views_give_zero_and_a_flipped_feature_is_penalised():
    # features that are already standardised and uncorrelated: C is the identity
    z = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    assert barlow_twins(z, z).item() == pytest.approx(0.0, abs=1e-4)
    flipped = z * torch.tensor([1.0, -1.0])  # C_22 = -1: on-diagonal term (1 - (-1))^2 = 4
    assert barlow_twins(z, flipped).item() == pytest.approx(4.0, rel=1e-3)


def test_redundant_features_cost_the_off_diagonal_weight():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(64, 1, generator=g)
    z = torch.cat([x, x], dim=1)  # two copies of one feature: C is all ones
    assert barlow_twins(z, z, lambd=0.5).item() == pytest.approx(0.5 * 2, rel=1e-3)


@pytest.mark.parametrize("shapes", [((8, 4), (8, 5)), ((1, 4), (1, 4)), ((8,), (8,))])
def test_shape_errors_raise_value_error(shapes):
    with pytest.raises(ValueError):
        barlow_twins(torch.randn(*shapes[0]), torch.randn(*shapes[1]))
