"""β-VAE: the posterior, sampling from the prior and the latent traversal."""

import pytest
import torch

from replearn_core.augment import plain
from replearn_core.data.shapes import make_shapes
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import build_method


def vae(**options):
    torch.manual_seed(0)
    return build_method(TrainConfig(method="vae", image_size=16, options=options)).eval()


def test_samples_and_reconstructions_are_images():
    method = vae(latent_dim=6)
    x = plain(make_shapes(4, 16, seed=0).images)
    rows = method.reconstruct(x)
    assert rows["reconstruction"].shape == rows["original"].shape == (4, 3, 16, 16)
    samples = method.sample(5, torch.Generator().manual_seed(0))
    assert samples.shape == (5, 3, 16, 16) and 0 <= samples.min() and samples.max() <= 1


def test_traversal_moves_one_latent_dimension_per_row():
    method = vae(latent_dim=6)
    x = plain(make_shapes(4, 16, seed=0).images)
    grid, order = method.traverse(x, dims=3, steps=5)
    assert grid.shape == (3, 5, 3, 16, 16) and len(set(order)) == 3
    # the middle column (0σ) of every row decodes the same code; the ends differ from it
    mu, _ = method.encode(x[:1])
    z = mu.clone()
    z[0, order[0]] = 0.0
    torch.testing.assert_close(grid[0, 2], method._draw(z)[0])
    assert not torch.allclose(grid[0, 0], grid[0, 4])


def test_beta_weights_the_kl_term(monkeypatch):
    images = make_shapes(8, 16, seed=0).images
    _, extra = vae(beta=1.0).training_loss(images, torch.Generator().manual_seed(0))
    loss_beta_4, extra_4 = vae(beta=4.0).training_loss(images, torch.Generator().manual_seed(0))
    assert extra["kl"] == pytest.approx(extra_4["kl"], rel=1e-5)  # same weights, same noise
    assert loss_beta_4.item() == pytest.approx(extra_4["reconstruction"] + 4.0 * extra_4["kl"], rel=1e-4)


def test_negative_beta_is_refused():
    with pytest.raises(ValueError, match="beta"):
        vae(beta=-1.0)


def test_kNN_and_the_probe_read_the_posterior_mean():
    """The run's representation is μ(x), not the backbone's features, and it shares the method's weights."""
    method = vae(latent_dim=6)
    x = plain(make_shapes(4, 16, seed=0).images)
    representation = method.representation()
    with torch.no_grad():
        assert torch.allclose(representation(x), method.encode(x)[0], atol=1e-6)
    assert representation.feature_dim == 6
    assert {id(p) for p in representation.parameters()} <= {id(p) for p in method.parameters()}
    assert "representation" not in dict(method.named_modules())  # nothing new in the method's state
