import pytest
import torch

from replearn_core.ssl.losses import byol


def reference_byol(p1, p2, z1, z2):
    """2 - 2 cos(p1, z2) + 2 - 2 cos(p2, z1), averaged over the batch, row by row."""
    total = 0.0
    for i in range(len(p1)):
        for p, z in ((p1[i], z2[i]), (p2[i], z1[i])):
            total += 2 - 2 * float(p @ z) / float(p.norm() * z.norm())
    return total / len(p1)


def test_matches_row_by_row_reference():
    g = torch.Generator().manual_seed(0)
    p1, p2, z1, z2 = (torch.randn(5, 7, generator=g) for _ in range(4))
    assert byol(p1, p2, z1, z2).item() == pytest.approx(reference_byol(p1, p2, z1, z2), rel=1e-5)


def test_symmetric_in_the_views():
    g = torch.Generator().manual_seed(1)
    p1, p2, z1, z2 = (torch.randn(6, 4, generator=g) for _ in range(4))
    assert byol(p1, p2, z1, z2).item() == pytest.approx(byol(p2, p1, z2, z1).item(), rel=1e-6)


def test_range_zero_when_matched_eight_when_opposite():
    z = torch.randn(4, 3)
    assert byol(z, z, z, z).item() == pytest.approx(0.0, abs=1e-5)
    assert byol(-z, -z, z, z).item() == pytest.approx(8.0, rel=1e-5)


def test_no_gradient_reaches_the_targets():
    p1, p2 = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    z1, z2 = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    byol(p1, p2, z1, z2).backward()
    assert p1.grad is not None and p1.grad.abs().sum() > 0
    assert z1.grad is None and z2.grad is None


def test_shape_errors_raise_value_error():
    with pytest.raises(ValueError):
        byol(torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 2))
