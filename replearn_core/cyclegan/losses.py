"""CycleGAN's losses, as pure functions.

- [0] CycleGAN, Zhu et al., 2017, https://arxiv.org/abs/1703.10593 (equations 1-3, section 4)
- [1] Least-squares GAN, Mao et al., 2017, https://arxiv.org/abs/1611.04076

With generators G: A -> B, F: B -> A and discriminators D_B, D_A:

- adversarial (least squares): the generator minimises E[(D(G(a)) - 1)²]; the
  discriminator minimises ½·(E[(D(b) - 1)²] + E[D(G(a))²]).
- cycle consistency: λ·(E‖F(G(a)) - a‖₁ + E‖G(F(b)) - b‖₁), λ = 10.
- identity: λ_id·λ·(E‖G(b) - b‖₁ + E‖F(a) - a‖₁), λ_id = 0.5: keeps colours when
  the input is already in the target domain.

Shapes: images (B, 3, H, W) in [-1, 1]; discriminator outputs (B, 1, h, w).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def lsgan_loss(prediction: torch.Tensor, target_is_real: bool) -> torch.Tensor:
    """Mean squared distance of every patch score to 1 (real) or 0 (fake)."""
    target = torch.ones_like(prediction) if target_is_real else torch.zeros_like(prediction)
    return F.mse_loss(prediction.float(), target.float())


def generator_adversarial_loss(fake_prediction: torch.Tensor) -> torch.Tensor:
    """E[(D(G(a)) - 1)²]: the generator wants its fakes scored as real."""
    return lsgan_loss(fake_prediction, True)


def discriminator_loss(real_prediction: torch.Tensor, fake_prediction: torch.Tensor) -> torch.Tensor:
    """½·(E[(D(b) - 1)²] + E[D(G(a))²]); halved to slow D relative to G, as in the paper."""
    return 0.5 * (lsgan_loss(real_prediction, True) + lsgan_loss(fake_prediction, False))


def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """E‖F(G(a)) - a‖₁ (unweighted): zero when the round trip gives the image back."""
    return F.l1_loss(reconstructed.float(), real.float())


def identity_loss(real: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """E‖G(b) - b‖₁ (unweighted): zero when G leaves target-domain images untouched."""
    return F.l1_loss(same.float(), real.float())
