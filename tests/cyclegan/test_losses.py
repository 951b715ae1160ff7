import torch

from replearn_core.cyclegan.losses import (cycle_loss, discriminator_loss, generator_adversarial_loss,
                                           identity_loss, lsgan_loss)


def test_cycle_loss_is_zero_for_identity_generators():
    a = torch.rand(4, 3, 16, 16) * 2 - 1
    G = F = torch.nn.Identity()
    assert cycle_loss(a, F(G(a))).item() == 0.0
    assert identity_loss(a, G(a)).item() == 0.0


def test_cycle_loss_is_the_mean_absolute_error():
    a = torch.zeros(2, 3, 4, 4)
    assert torch.isclose(cycle_loss(a, a + 0.5), torch.tensor(0.5))
    flipped = a.clone()
    flipped[:, :, 0, 0] = 1.0
    assert torch.isclose(cycle_loss(a, flipped), torch.tensor(1.0 / 16))


def test_least_squares_targets():
    ones, zeros = torch.ones(2, 1, 6, 6), torch.zeros(2, 1, 6, 6)
    assert discriminator_loss(ones, zeros).item() == 0.0  # a perfect discriminator
    assert torch.isclose(discriminator_loss(zeros, ones), torch.tensor(1.0))  # ½·(1 + 1)
    assert generator_adversarial_loss(ones).item() == 0.0  # fakes taken for real
    assert torch.isclose(generator_adversarial_loss(zeros), torch.tensor(1.0))
    assert torch.isclose(lsgan_loss(torch.full((3,), 0.5), True), torch.tensor(0.25))
