"""The configuration of a CycleGAN run: one typed dataclass, one commented default per field.

Defaults follow the CycleGAN paper (Zhu et al., 2017, https://arxiv.org/abs/1703.10593,
section 4 and appendix 7.1) except the model width and image size, which are chosen so
that a laptop CPU shows a visible translation within a couple of minutes. The paper's
setting is ``ngf=64, ndf=64, n_blocks=9, image_size=256, epochs=200``.
"""

from __future__ import annotations

from dataclasses import dataclass

from replearn_core.i18n import Message
from replearn_core.options import setting
from replearn_core.runs.config import RunConfig, described

IMAGE_SIZES = (64, 128, 256)


@dataclass
class CycleGANConfig(RunConfig):
    setting_kind = "CycleGAN"

    dataset: str = described("fruit", "fruit (built-in, offline), apple2orange (downloads once) or folder:PATH")
    image_size: int = described(64, "64, 128 or 256 pixels a side (paper: 256)")
    ngf: int = described(16, "generator width: channels of its first layer (paper: 64)")
    ndf: int = described(32, "discriminator width: channels of its first layer (paper: 64)")
    n_blocks: int = described(6, "residual blocks of the generator: 6 or 9 (paper: 9 at 256 px, 6 at 128 px)")
    epochs: int = described(1, "passes over the larger of the two training domains")
    batch_size: int = described(1, "image pairs per step (paper: 1)")
    lr: float = described(2e-4, "Adam learning rate of both generators and both discriminators")
    beta1: float = described(0.5, "Adam beta1")
    beta2: float = described(0.999, "Adam beta2")
    decay_start: float = described(0.5, "fraction of training after which the lr decays linearly to 0 (paper: 100 of "
                                   "200 epochs)")
    lambda_cycle: float = described(10.0, "weight λ of the cycle-consistency loss")
    lambda_identity: float = described(0.5, "identity loss weight, as a fraction of λ (paper: 0.5·λ)")
    pool_size: int = described(50, "generated images the discriminators also learn from; 0 = no pool")
    max_train_images: int | None = described(200, "use at most this many images of each domain (None = all)")
    sample_every: int = described(25, "translate the fixed test images every this many steps (the filmstrip)")
    sample_images: int = described(4, "fixed test images per domain in the filmstrip")
    checkpoints: int = described(4, "generator checkpoints kept, evenly spaced over training (the last is final)")
    time_budget_s: float | None = described(None, "stop after this much training time; None = run all epochs")
    seed: int = described(0, "seeds initialisation, pairing order and the image pool")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")
    cpu_threads: int | None = described(None, "torch threads when training on the CPU; None = half the logical cores")

    def validate(self) -> "CycleGANConfig":
        """Check ranges; raises ValueError with a message a user can act on."""
        self.check_fields()
        self.require([
            (self.image_size in IMAGE_SIZES, Message("cfg.gan_image_size", sizes=", ".join(map(str, IMAGE_SIZES)))),
            (1 <= self.ngf <= 256, Message("cfg.ngf_range")),
            (1 <= self.ndf <= 256, Message("cfg.ndf_range")),
            (1 <= self.n_blocks <= 16, Message("cfg.blocks_range")),
            (self.epochs >= 1, Message("cfg.epochs_min")),
            (1 <= self.batch_size <= 256, Message("cfg.gan_batch_range")),
            (0 < self.lr <= 1, Message("cfg.lr_range")),
            (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, Message("cfg.betas_range")),
            (0 <= self.decay_start <= 1, Message("cfg.decay_start_range")),
            (self.lambda_cycle >= 0 and self.lambda_identity >= 0, Message("cfg.loss_weights_nonneg")),
            (self.pool_size >= 0, Message("cfg.pool_nonneg")),
            (self.max_train_images is None or self.max_train_images >= 1, Message("cfg.gan_max_train_min")),
            (self.sample_every >= 1, Message("cfg.sample_every_min")),
            (1 <= self.sample_images <= 16, Message("cfg.sample_images_range")),
            (self.checkpoints >= 1, Message("cfg.checkpoints_min")),
            (self.time_budget_s is None or self.time_budget_s > 0, Message("cfg.time_budget_positive")),
            (self.cpu_threads is None or self.cpu_threads >= 1, Message("cfg.cpu_threads_min"))])
        return self


# the settings the page offers (one control each) and `cyclegan train --option` accepts; their defaults are
# the fields' above (the page's measured ones, docs/cyclegan.md)
SETTINGS = (
    setting(CycleGANConfig, "image_size", "Image size",
            "Pixels a side. 64 px trains in a couple of minutes on a CPU; the paper uses 256 px.", values=IMAGE_SIZES),
    setting(CycleGANConfig, "ngf", "Generator width (ngf)",
            "Channels of the generator's first layer (paper: 64). Wider is slower.", values=(8, 16, 32, 64)),
    setting(CycleGANConfig, "n_blocks", "Residual blocks", "The paper uses 6 blocks at 128 px and 9 at 256 px.",
            values=(6, 9)),
    setting(CycleGANConfig, "epochs", "Epochs", "Passes over the training images.", low=1, high=50, step=1),
    setting(CycleGANConfig, "max_train_images", "Images per domain",
            "Training images of each domain used; one step per image at batch 1.", values=(50, 100, 200, 400, 1000)),
    setting(CycleGANConfig, "batch_size", "Batch size",
            "Image pairs per step. The paper uses 1; larger is faster on a GPU.", values=(1, 2, 4, 8, 16)),
    setting(CycleGANConfig, "lr", "Learning rate",
            "Adam (β = 0.5, 0.999); constant for the first half, then linearly to 0.", low=1e-5, high=1e-2,
            format="%.5f"),
    setting(CycleGANConfig, "lambda_cycle", "Cycle weight λ",
            "How strongly the round trip must return the original (paper: 10). Set 0 to see what goes wrong "
            "without it.", low=0.0, high=20.0, step=0.5),
    setting(CycleGANConfig, "lambda_identity", "Identity weight (× λ)",
            "Penalises changing images already in the target domain (paper: 0.5).", low=0.0, high=1.0, step=0.1),
    setting(CycleGANConfig, "pool_size", "Image pool",
            "Earlier fakes the discriminators keep learning from (paper: 50; 0 = off).", low=0, high=100, step=1),
    setting(CycleGANConfig, "sample_every", "Filmstrip every N steps",
            "How often the fixed test images are translated and stored.", low=5, high=200, step=5),
)
