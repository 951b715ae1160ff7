"""The configuration of a metric-learning run: one typed dataclass, one commented default per field.

A loss's own settings (margin, mining, scale, τ, ...) are not fields here: each loss declares them as typed
options (:data:`replearn_core.metric.METRIC_METHODS`, ``options``), and a run gives them in ``options``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from replearn_core.i18n import Message
from replearn_core.runs.config import RunConfig

# settings that metric runs stored before they had this configuration of their own (they shared the
# self-supervised one): dropped on reading, or moved into the options of a loss that declares them
LEGACY_SETTINGS = ("view_size", "temperature")


@dataclass
class MetricConfig(RunConfig):
    method: str = "triplet"  # a key of replearn_core.metric.METRIC_METHODS
    dataset: str = "shapes"  # a registered dataset or folder:PATH (labelled: the losses need classes)
    eval_dataset: str | None = None  # held-out images for retrieval; None = the dataset's own test split
    backbone: str = "cnn4"  # a key of replearn_core.backbones.BACKBONES
    epochs: int | None = None  # passes over the training images; None = the loss's measured default
    batch_size: int | None = None  # images per step (P classes × m images); None = the loss's default
    lr: float | None = None  # peak learning rate of AdamW (warm-up, then cosine); None = the loss's default
    weight_decay: float = 1e-4  # AdamW weight decay
    image_size: int = 32  # images are resized to this many pixels a side
    seed: int = 0  # seeds the initialisation, the batch order and the augmentations
    recipe: list[dict] | None = None  # view recipe [{"op", "p", "strength"}, ...]; None = light crops and colour
    max_train_images: int | None = None  # use at most this many training images (None = all)
    eval_images: int = 1000  # held-out images scored by retrieval at each evaluation
    eval_every: int | None = None  # evaluate every this many epochs; None = about 5 evaluations per run
    knn_bank_images: int = 5000  # training images that form the kNN memory bank
    knn_k: int = 20  # neighbours of the kNN classifier reported beside retrieval
    time_budget_s: float | None = None  # stop after this much training time (benchmarks); None = all epochs
    checkpoint_every: int = 1  # save an encoder checkpoint every this many epochs
    device: str | None = None  # cpu, cuda, mps; None = the fastest present
    options: dict = field(default_factory=dict)  # the loss's own settings ({"margin": 0.3}); validate() checks
    # them against the loss's declared options and fills in the defaults

    @classmethod
    def from_dict(cls, data: dict, methods: Mapping | None = None) -> "MetricConfig":
        """A stored run's configuration. ``methods`` (:data:`replearn_core.metric.METRIC_METHODS`) moves the τ
        that runs stored beside their settings into the options of a loss that declares one; without it that
        τ is dropped (what a reader of the run's images and sizes alone needs)."""
        data = dict(data)
        legacy = {name: data.pop(name) for name in LEGACY_SETTINGS if name in data}
        config = super().from_dict(data)
        temperature = legacy.get("temperature")
        if temperature is not None and methods is not None:  # a stored SupCon run kept its τ beside the options
            declared = methods.get(config.method)
            if declared is not None and "temperature" in {o.name for o in declared.options}:
                config.options = {"temperature": temperature, **(config.options or {})}
        return config

    def validate(self, methods: Mapping) -> "MetricConfig":
        """Check names and ranges, fill in the loss's defaults; raises ValueError with a message a user can
        act on (an unknown option, ``margni=0.3``, is one).

        ``methods`` is the registry the loss's name must be in (:data:`replearn_core.metric.METRIC_METHODS`):
        passed in, as to ``TrainConfig.validate``, so that this module does not import the registry, which
        imports it.
        """
        from replearn_core.backbones import BACKBONES
        from replearn_core.options import resolve_options

        self.check_fields()
        if self.method not in methods:
            raise ValueError(Message("cfg.unknown_metric_method", name=self.method, known=", ".join(methods)))
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        declared = methods[self.method]
        for name, value in declared.run_defaults().items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        self.require([(4 <= self.batch_size <= 4096, Message("cfg.metric_batch_range"))] + self.training_checks())
        self.options = resolve_options(declared.options, self.options, self.method)
        if self.recipe is not None:
            from replearn_core.augment import recipe_from_dicts
            recipe_from_dicts(self.recipe)
        return self
