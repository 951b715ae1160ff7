"""The configuration of a self-supervised training run: one typed dataclass, one default and its help per field.

The page's controls and the command line's flags map one to one onto these fields; a flag's help is its
field's (:func:`replearn_core.runs.config.described`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from replearn_core.i18n import Message
from replearn_core.runs.config import RunConfig, described


@dataclass
class TrainConfig(RunConfig):
    method: str = described("simclr", "a key of replearn_core.ssl.methods.METHODS")
    dataset: str = described("shapes", "a registered dataset or folder:PATH")
    eval_dataset: str | None = described(None, "held-out images for kNN; None = the dataset's own test split")
    backbone: str = described("cnn4", "a key of replearn_core.backbones.BACKBONES")
    epochs: int | None = described(None, "passes over the training images; None = the method's default_epochs "
                                   "(a finished default run in at most about 90 s on 2 CPU cores, "
                                   "bench/ssl_quality.py --defaults)")
    batch_size: int | None = described(None, "images per step (each method makes its own views of them); None = "
                                       "the method's default_batch_size")
    lr: float = described(2e-3, "peak learning rate of AdamW, reached after a short warm-up, then cosine decay")
    weight_decay: float = described(1e-4, "AdamW weight decay")
    temperature: float = described(0.3, "softmax temperature of the contrastive losses (SimCLR, MoCo)")
    image_size: int = described(32, "images are resized to this many pixels a side")
    # Views are random crops, so a smaller view shows the object about as large as the whole image does at full
    # size (Touvron et al. 2019, FixRes); on shapes 20-pixel views learn as much per epoch as 32-pixel ones in
    # 60 % of the time (docs/ssl_tests_benchmarks.md)
    view_size: int | None = described(None, "pixels a side of the training views; None = the method's "
                                      "view_fraction of image_size (contrastive methods 5/8: 20 for 32)")
    seed: int = described(0, "seeds the initialisation, the batch order and the augmentations")
    recipe: list[dict] | None = described(None, 'view recipe [{"op", "p", "strength"}, ...]; None = the '
                                          "method's default")
    max_train_images: int | None = described(None, "use at most this many training images (None = all)")
    eval_images: int = described(1000, "held-out images scored by kNN at each evaluation")
    # each evaluation costs about 1.3 s on 2 CPU cores: ten of them were a seventh of a 90 s run
    eval_every: int | None = described(None, "evaluate (kNN, collapse meter) every this many epochs; None = about "
                                       "5 evaluations per run. The untrained encoder and the last epoch are "
                                       "always evaluated.")
    knn_bank_images: int = described(5000, "training images that form the kNN memory bank")
    knn_k: int = described(20, "neighbours of the similarity-weighted kNN classifier")
    time_budget_s: float | None = described(None, "stop after this much training time (benchmarks); None = run "
                                            "all epochs")
    checkpoint_every: int = described(1, "save an encoder checkpoint every this many epochs")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")
    options: dict = described(help='method-specific settings, e.g. {"stop_gradient": False}: the method\'s '
                              "options name them (replearn_core.options); validate() fills in the defaults",
                              default_factory=dict)

    def validate(self, methods: Mapping[str, type]) -> "TrainConfig":
        """Check ranges and names; raises ValueError with a message a user can act on.

        ``methods`` is the registry the method's name must be in and its default epochs come from
        (:data:`replearn_core.ssl.methods.METHODS`): passed in, so that this module does not import the
        methods, which import it.
        """
        from replearn_core.backbones import BACKBONES

        self.check_fields()
        if self.method not in methods:
            raise ValueError(Message("cfg.unknown_method", name=self.method, known=", ".join(methods)))
        if self.epochs is None:
            self.epochs = methods[self.method].default_epochs
        if self.batch_size is None:
            self.batch_size = methods[self.method].default_batch_size
        if self.eval_every is None:
            self.eval_every = getattr(methods[self.method], "default_eval_every", None)
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        usable = getattr(methods[self.method], "backbones", None)
        if usable is not None and self.backbone not in usable:
            raise ValueError(Message("cfg.needs_backbone", method=self.method, usable=" or ".join(usable),
                                     name=self.backbone, first=usable[0]))
        checks = [(2 <= self.batch_size <= 4096, Message("cfg.batch_range")),
                  (0 < self.temperature <= 10, Message("cfg.temperature_range")),
                  (self.view_size is None or 8 <= self.view_size <= self.image_size,
                   Message("cfg.view_size_range"))] + self.training_checks()
        self.require(checks)
        from replearn_core.options import resolve_options
        self.options = resolve_options(methods[self.method].options, self.options, self.method)
        if self.recipe is not None:
            from replearn_core.augment import recipe_from_dicts
            recipe_from_dicts(self.recipe)
        return self

    def evaluates_at(self, epoch: int) -> bool:
        """Whether the run scores its encoder after this epoch: every eval_every epochs (by default about
        five times a run) and always after the last."""
        every = self.eval_every or max(1, round(self.epochs / 5))
        return epoch % every == 0 or epoch == self.epochs
