"""The settings of a transfer comparison and of a supervised source run: typed dataclasses, one default and its
help per field.

The page's controls and the ``transfer`` command's flags map one to one onto these fields; a flag's help is its
field's (:func:`replearn_core.runs.config.described`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from replearn_core.i18n import Message
from replearn_core.runs.config import RunConfig, described


@dataclass
class TransferConfig(RunConfig):
    setting_kind = ""

    encoder: str = described("random", 'where the encoder starts: a run id, "random", "imagenet" or "file:PATH"')
    backbone: str = described("small_cnn", 'architecture for "random" and "file:"; runs and imagenet bring their '
                              "own")
    dataset: str = described("digits", "the target: a registered dataset or folder:PATH")
    eval_dataset: str | None = described(None, "held-out target images; None = the target's own test split")
    strategies: list[str] = described(help="keys of STRATEGIES", default_factory=lambda: ["linear", "full", "llrd"])
    fractions: list[float] = described(help="fractions of the training labels",
                                       default_factory=lambda: [0.01, 0.1, 1.0])
    epochs: int = described(8, "passes over each labelled subset (but at least min_steps optimizer steps)")
    min_steps: int = described(60, "tiny subsets still get this many optimizer steps")
    batch_size: int = described(128, "labelled images per step")
    lr: float = described(2e-3, "peak AdamW learning rate of the head; backbone groups get it times their lr scale")
    weight_decay: float = described(1e-4, "AdamW weight decay")
    augment: bool = described(True, "light crop + flip on the labelled images while fine-tuning")
    freeze_stages: int = described(1, "partial: the first k backbone stages stay frozen")
    lr_decay: float = described(0.5, "llrd: each stage deeper from the top multiplies the learning rate by this")
    unfreeze_every: int = described(0, "gradual: steps between unfreezing one more stage; 0 = spread over the first "
                                    "half")
    probe_fraction: float = described(0.5, "lpft: share of the steps spent as a linear probe before fine-tuning all")
    image_size: int = described(32, "images are resized to this many pixels a side")
    max_train_images: int | None = described(None, "use at most this many target training images (None = all)")
    eval_images: int = described(2000, "held-out images scored after each epoch")
    seed: int = described(0, "seeds the label subsets, the heads and the batch order (the same for every strategy)")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")

    def validate(self, strategies: Mapping[str, type]) -> "TransferConfig":
        """Check names and ranges; raises ValueError with a message a user can act on.

        ``strategies`` is the registry the strategies' names must be in
        (:data:`replearn_core.transfer.strategies.STRATEGIES`): passed in, so that this module does not import
        the strategies, which import it for their declared settings.
        """
        from replearn_core.backbones import BACKBONES

        self.check_fields()
        if not self.strategies:
            raise ValueError(Message("cfg.no_strategy"))
        unknown = [s for s in self.strategies if s not in strategies]
        if unknown:
            raise ValueError(Message("cfg.unknown_strategy", name=unknown[0], known=", ".join(strategies)))
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError(Message("cfg.strategy_twice"))
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        if not self.fractions:
            raise ValueError(Message("cfg.no_fraction"))
        self.fractions = sorted({float(f) for f in self.fractions})
        checks = [(all(0 < f <= 1 for f in self.fractions), Message("cfg.fractions_range")),
                  (1 <= self.epochs <= 1000, Message("cfg.epochs_range")),
                  (0 <= self.min_steps <= 100_000, Message("cfg.min_steps_range")),
                  (2 <= self.batch_size <= 4096, Message("cfg.batch_range")),
                  (0 < self.lr <= 1, Message("cfg.lr_range")),
                  (self.weight_decay >= 0, Message("cfg.wd_nonneg")),
                  (self.freeze_stages >= 0, Message("cfg.freeze_stages_min")),
                  (0 < self.lr_decay <= 1, Message("cfg.lr_decay_range")),
                  (self.unfreeze_every >= 0, Message("cfg.unfreeze_every_min")),
                  (0 < self.probe_fraction < 1, Message("cfg.probe_fraction_range")),
                  (8 <= self.image_size <= 512, Message("cfg.image_size_range")),
                  (self.max_train_images is None or self.max_train_images >= 2, Message("cfg.max_train_min")),
                  (self.eval_images >= 10, Message("cfg.eval_images_min"))]
        self.require(checks)
        return self


@dataclass
class SupervisedConfig(RunConfig):
    setting_kind = ""

    dataset: str = described("printed-digits", "the labelled source dataset the encoder learns from")
    backbone: str = described("small_cnn", "a key of replearn_core.backbones.BACKBONES")
    epochs: int = described(3, "passes over the source training images")
    batch_size: int = described(128, "images per step")
    lr: float = described(2e-3, "peak AdamW learning rate (warm-up, then cosine decay)")
    weight_decay: float = described(1e-4, "AdamW weight decay")
    augment: bool = described(True, "light crop + flip")
    image_size: int = described(32, "images are resized to this many pixels a side")
    max_train_images: int | None = described(None, "use at most this many source images (None = all)")
    eval_images: int = described(1000, "held-out source images scored after each epoch")
    seed: int = described(0, "seeds the initialisation and the batch order")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")

    def validate(self) -> "SupervisedConfig":
        from replearn_core.backbones import BACKBONES

        self.check_fields()
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        self.require([(1 <= self.epochs <= 1000, Message("cfg.epochs_range")),
                      (2 <= self.batch_size <= 4096, Message("cfg.batch_range")),
                      (0 < self.lr <= 1, Message("cfg.lr_range")),
                      (self.weight_decay >= 0, Message("cfg.wd_nonneg")),
                      (8 <= self.image_size <= 512, Message("cfg.image_size_range")),
                      (self.max_train_images is None or self.max_train_images >= 2, Message("cfg.max_train_min")),
                      (self.eval_images >= 10, Message("cfg.eval_images_min"))])
        return self
