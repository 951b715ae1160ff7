import pytest
import torch

from replearn_core.ssl.losses import negative_cosine


def test_minus_one_for_identical_and_plus_one_for_opposite():
    x = torch.randn(5, 8)
    assert negative_cosine(x, x).item() == pytest.approx(-1.0, abs=1e-6)
    assert negative_cosine(x, 2.5 * x).item() == pytest.approx(-1.0, abs=1e-6)
    assert negative_cosine(x, -x).item() == pytest.approx(1.0, abs=1e-6)


def test_orthogonal_vectors_give_zero():
    p = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    z = torch.tensor([[0.0, 3.0], [1.0, 0.0]])
    assert negative_cosine(p, z).item() == pytest.approx(0.0, abs=1e-7)


def test_stop_gradient_blocks_the_target_branch_only_when_asked():
    p = torch.randn(4, 3, requires_grad=True)
    z = torch.randn(4, 3, requires_grad=True)
    negative_cosine(p, z, stop_gradient=True).backward()
    assert z.grad is None
    assert p.grad.abs().sum() > 0
    p.grad = None
    negative_cosine(p, z, stop_gradient=False).backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_shape_errors_raise_value_error():
    with pytest.raises(ValueError):
        negative_cosine(torch.randn(4, 3), torch.randn(3, 3))
