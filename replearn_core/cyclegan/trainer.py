"""One CycleGAN training step, and the objects it updates.

Per step, with real a ∈ A and b ∈ B (Zhu et al., 2017, section 3-4):

1. Generators (D frozen): fake_b = G(a), rec_a = F(fake_b), fake_a = F(b), rec_b = G(fake_a);
   loss_G = (D_B(fake_b) - 1)² + (D_A(fake_a) - 1)²
            + λ·(|rec_a - a|₁ + |rec_b - b|₁) + λ_id·λ·(|G(b) - b|₁ + |F(a) - a|₁).
2. Discriminators: each sees its real images and a fake drawn through the image pool;
   loss_D = ½·((D(real) - 1)² + D(pool(fake))²), for D_A and D_B.

Mixed precision (autocast, with a gradient scaler for float16) and channels_last on CUDA.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.cyclegan.losses import cycle_loss, discriminator_loss, generator_adversarial_loss, identity_loss
from replearn_core.cyclegan.models import build_discriminator, build_generator
from replearn_core.cyclegan.pool import ImagePool
from replearn_core.device import autocast, prepare_model


@dataclass
class StepLosses:
    loss_G: float  # total generator objective
    loss_D: float  # D_A + D_B
    loss_G_adv: float  # adversarial part of loss_G
    loss_cycle: float  # unweighted |rec_a - a|₁ + |rec_b - b|₁
    loss_identity: float  # unweighted |G(b) - b|₁ + |F(a) - a|₁
    time_G: float  # seconds spent in the generators' update
    time_D: float  # seconds spent in the discriminators' update


class CycleGANTrainer:
    """Both generators (G_AB: A -> B, G_BA: B -> A), both discriminators, their optimisers and pools."""

    def __init__(self, config: CycleGANConfig, device: torch.device, total_steps: int):
        self.config, self.device = config, device
        c = config
        self.G_AB = prepare_model(build_generator(c.ngf, c.n_blocks, seed=c.seed), device)
        self.G_BA = prepare_model(build_generator(c.ngf, c.n_blocks, seed=c.seed + 1), device)
        self.D_A = prepare_model(build_discriminator(c.ndf, seed=c.seed + 2), device)
        self.D_B = prepare_model(build_discriminator(c.ndf, seed=c.seed + 3), device)
        betas = (c.beta1, c.beta2)
        self.opt_G = torch.optim.Adam(list(self.G_AB.parameters()) + list(self.G_BA.parameters()), c.lr, betas=betas)
        self.opt_D = torch.optim.Adam(list(self.D_A.parameters()) + list(self.D_B.parameters()), c.lr, betas=betas)
        decay_from = int(total_steps * c.decay_start)
        decay_len = max(1, total_steps - decay_from)

        def linear_decay(step: int) -> float:  # constant, then linearly down to 0 at the last step
            return 1.0 if step < decay_from else max(0.0, 1.0 - (step - decay_from) / decay_len)

        self.sched_G = torch.optim.lr_scheduler.LambdaLR(self.opt_G, linear_decay)
        self.sched_D = torch.optim.lr_scheduler.LambdaLR(self.opt_D, linear_decay)
        self.pool_A = ImagePool(c.pool_size, seed=c.seed)
        self.pool_B = ImagePool(c.pool_size, seed=c.seed + 1)
        fp16 = device.type == "cuda" and not torch.cuda.is_bf16_supported()
        self.scaler = torch.amp.GradScaler("cuda", enabled=fp16)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> StepLosses:
        """One update of G and D on a batch: real_a (B, 3, S, S), real_b (B, 3, S, S) in [-1, 1] on the device."""
        c = self.config
        t0 = time.perf_counter()
        # --- generators ---------------------------------------------------------------
        for d in (self.D_A, self.D_B):
            d.requires_grad_(False)
        with autocast(self.device):
            fake_b = self.G_AB(real_a)  # (B, 3, S, S)
            rec_a = self.G_BA(fake_b)
            fake_a = self.G_BA(real_b)
            rec_b = self.G_AB(fake_a)
            adv = generator_adversarial_loss(self.D_B(fake_b)) + generator_adversarial_loss(self.D_A(fake_a))
            cyc = cycle_loss(real_a, rec_a) + cycle_loss(real_b, rec_b)
            if c.lambda_identity > 0:
                idt = identity_loss(real_b, self.G_AB(real_b)) + identity_loss(real_a, self.G_BA(real_a))
            else:
                idt = torch.zeros((), device=self.device)
            loss_G = adv + c.lambda_cycle * cyc + c.lambda_identity * c.lambda_cycle * idt
        self.opt_G.zero_grad(set_to_none=True)
        self.scaler.scale(loss_G).backward()
        self.scaler.step(self.opt_G)
        self._sync()
        t1 = time.perf_counter()
        # --- discriminators -------------------------------------------------------------
        for d in (self.D_A, self.D_B):
            d.requires_grad_(True)
        with autocast(self.device):
            loss_D_B = discriminator_loss(self.D_B(real_b), self.D_B(self.pool_B.query(fake_b.detach())))
            loss_D_A = discriminator_loss(self.D_A(real_a), self.D_A(self.pool_A.query(fake_a.detach())))
            loss_D = loss_D_A + loss_D_B
        self.opt_D.zero_grad(set_to_none=True)
        self.scaler.scale(loss_D).backward()
        self.scaler.step(self.opt_D)
        self.scaler.update()
        self.sched_G.step()
        self.sched_D.step()
        self._sync()
        t2 = time.perf_counter()
        return StepLosses(loss_G.item(), loss_D.item(), adv.item(), cyc.item(), idt.item(), t1 - t0, t2 - t1)

    @torch.no_grad()
    def translate(self, real_a: torch.Tensor, real_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """Real, translated and reconstructed images of both directions, for the filmstrip."""
        self.G_AB.eval(), self.G_BA.eval()
        with autocast(self.device):
            fake_b = self.G_AB(real_a)
            fake_a = self.G_BA(real_b)
            out = {"real_A": real_a, "fake_B": fake_b, "rec_A": self.G_BA(fake_b),
                   "real_B": real_b, "fake_A": fake_a, "rec_B": self.G_AB(fake_a)}
        self.G_AB.train(), self.G_BA.train()
        return out

    def generator_tensors(self) -> dict[str, torch.Tensor]:
        """Both generators' weights, prefixed G_AB. and G_BA., for one safetensors file."""
        tensors = {f"G_AB.{k}": v for k, v in self.G_AB.state_dict().items()}
        tensors.update({f"G_BA.{k}": v for k, v in self.G_BA.state_dict().items()})
        return tensors
