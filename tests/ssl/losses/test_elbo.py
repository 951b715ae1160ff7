import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from replearn_core.ssl.losses import elbo, gaussian_kl


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 6, generator=g), torch.randn(5, 6, generator=g)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected, rtol=1e-5, atol=1e-6)


def test_kl_closed_form_by_hand():
    # one dimension, μ = 1, σ² = e: ½(1 + e − 1 − 1) = ½(e − 1)
    assert gaussian_kl(torch.tensor([[1.0]]), torch.tensor([[1.0]])).item() == pytest.approx(0.5 * (math.e - 1))
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max().item() == 0.0  # the prior itself


def test_elbo_is_reconstruction_plus_beta_times_kl():
    g = torch.Generator().manual_seed(1)
    x, x_hat = torch.randn(4, 3, 8, 8, generator=g), torch.randn(4, 3, 8, 8, generator=g)
    mu, logvar = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    loss, rec, kl = elbo(x_hat, x, mu, logvar, beta=4.0)
    expected_rec = sum(0.5 * ((x_hat[b] - x[b]) ** 2).sum().item() for b in range(4)) / 4
    assert rec.item() == pytest.approx(expected_rec, rel=1e-5)
    assert kl.item() == pytest.approx(gaussian_kl(mu, logvar).mean().item(), rel=1e-6)
    assert loss.item() == pytest.approx(expected_rec + 4.0 * kl.item(), rel=1e-5)
    assert elbo(x_hat, x, mu, logvar, beta=0.0)[0].item() == pytest.approx(expected_rec, rel=1e-5)


def test_shape_errors_raise_value_error():
    with pytest.raises(ValueError):
        elbo(torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 5), torch.zeros(2, 2), torch.zeros(2, 2))
