import math

import numpy as np
import pytest
import torch

from replearn_core.adaptation.coral import coral_loss
from replearn_core.adaptation.grl import GradientReversal, dann_coefficient, grad_reverse
from replearn_core.adaptation.job import annealed_lr_factor
from replearn_core.adaptation.mmd import mk_mmd


def _x(n=32, d=6, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_gradient_reversal_is_identity_forward_and_flips_and_scales_the_gradient():
    x = _x().requires_grad_()
    upstream = _x(seed=1)
    y = grad_reverse(x, 0.3)
    assert torch.equal(y, x)
    (y * upstream).sum().backward()
    assert torch.allclose(x.grad, -0.3 * upstream)
    x.grad = None
    layer = GradientReversal(2.0)
    (layer(x) * upstream).sum().backward()
    assert torch.allclose(x.grad, -2.0 * upstream)


def test_dann_coefficient_ramps_from_zero_to_one():
    values = [dann_coefficient(p / 10) for p in range(11)]
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert values[5] == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert all(a < b for a, b in zip(values, values[1:]))


def test_learning_rate_anneals_as_in_the_dann_paper():
    values = [annealed_lr_factor(p / 10) for p in range(11)]
    assert values[0] == 1.0
    assert values[-1] == pytest.approx(11 ** -0.75)
    assert values[5] == pytest.approx(6 ** -0.75)
    assert all(a > b for a, b in zip(values, values[1:]))
    assert annealed_lr_factor(2.0) == values[-1]  # progress past the end stays at the last value


def test_coral_is_zero_for_identical_batches_and_matches_numpy_covariances():
    s, t = _x(), _x(40, seed=2) * 2 + 1
    assert coral_loss(s, s).item() == pytest.approx(0.0, abs=1e-10)
    cs, ct = np.cov(s.numpy(), rowvar=False), np.cov(t.numpy(), rowvar=False)
    expected = ((cs - ct) ** 2).sum() / (4 * 36)
    assert coral_loss(s, t).item() == pytest.approx(expected, rel=1e-4)
    # a shift of the mean does not change covariances: CORAL is blind to it
    assert coral_loss(s, s + 5).item() == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError):
        coral_loss(s, _x(8, 3))


def test_mmd_is_zero_for_identical_batches_positive_for_shifted_ones_and_symmetric():
    s, t = _x(), _x(seed=3) + 1.5
    assert mk_mmd(s, s).item() == pytest.approx(0.0, abs=1e-6)
    assert mk_mmd(s, t).item() > 0.1
    assert mk_mmd(s, t).item() == pytest.approx(mk_mmd(t, s).item(), rel=1e-5)
    # same distribution, different samples: much smaller than a real shift
    assert mk_mmd(s, _x(seed=4)).item() < 0.3 * mk_mmd(s, t).item()


def test_minimising_the_alignment_losses_moves_the_target_towards_the_source():
    for loss_fn in (coral_loss, mk_mmd):
        s = _x()
        t = (_x(seed=5) * 3).requires_grad_()
        opt = torch.optim.Adam([t], lr=0.05)
        first = loss_fn(s, t).item()
        for _ in range(50):
            opt.zero_grad()
            loss_fn(s, t).backward()
            opt.step()
        assert loss_fn(s, t).item() < 0.5 * first
