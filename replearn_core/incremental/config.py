"""The configuration of an incremental-learning comparison: one typed dataclass, one commented default per field.

A strategy's own settings (replay's memory, LwF's weight and temperature, EWC's λ) are fields here too, read
by the strategy that declares them (``STRATEGIES[k].options``): the page shows a strategy's controls only when
it is chosen, and the command line lists them under ``--help``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from replearn_core.i18n import Message
from replearn_core.options import setting
from replearn_core.runs.config import RunConfig, described

SCENARIO_CHOICES = ("class", "task", "both")
DEFAULT_STRATEGIES = ["sequential", "joint", "replay", "lwf", "ewc"]


@dataclass
class IncrementalConfig(RunConfig):
    setting_kind = ""

    dataset: str = described("digits", "a registered dataset or folder:PATH whose classes are split into tasks")
    n_tasks: int = described(5, "tasks the classes are split into (digits: five tasks of two digits, split "
                             "MNIST's layout)")
    class_order: str = described("natural", "\"natural\" (the dataset's), \"random\" (shuffled by the seed) or names "
                                 '"1,7,3,..."')
    scenario: str = described("class", '"class" (one growing head), "task" (the task is given at test time) or "both"')
    strategies: list[str] = described(help="keys of STRATEGIES", default_factory=lambda: list(DEFAULT_STRATEGIES))
    encoder: str = described("random", "where the encoder starts: \"random\", a finished ssl/supervised/metric run's "
                             "id, file:PATH")
    backbone: str = described("small_cnn", 'the architecture for "random" and file: encoders (a run brings its own)')
    epochs: int = described(10, "passes over each task's training images (joint: over everything seen so far)")
    batch_size: int = described(64, "new images per step (replay adds as many from its memory)")
    lr: float = described(1e-3, "Adam learning rate (van de Ven & Tolias 2019's), a fresh optimizer for each task")
    image_size: int = described(8, "pixels a side: digits' own 8×8 (photos, shapes and a lab run's encoder: 32)")
    memory_per_class: int = described(20, "replay: M training images kept per class seen")
    lwf_weight: float = described(1.0, "LwF: weight of the distillation loss beside the new task's cross-entropy")
    lwf_temperature: float = described(2.0, "LwF: softmax temperature T of the distillation")
    ewc_lambda: float = described(1000.0, "EWC: weight λ of the Fisher penalty")
    fisher_images: int = described(200, "EWC: training images of each task its diagonal Fisher is estimated on")
    max_train_images: int | None = described(None, "use at most this many training images of the dataset (None = all)")
    eval_images: int = described(2000, "held-out images (of the tasks' classes) that fill the accuracy matrix")
    seed: int = described(0, "seeds the initialisation (the same for every strategy), the batches and the memory")
    time_budget_s: float | None = described(None, "stop a strategy's task after this much training time; "
                                            "None = all epochs")
    device: str | None = described(None, "cpu, cuda, mps; None = the fastest present")

    def validate(self, strategies: Mapping[str, type]) -> "IncrementalConfig":
        """Check names and ranges; raises ValueError with a message a user can act on.

        ``strategies`` is the registry the strategies' names must be in
        (:data:`replearn_core.incremental.strategies.STRATEGIES`): passed in, as to ``TrainConfig.validate``,
        so that this module does not import the strategies, which import it for their declared settings.
        """
        from replearn_core.backbones import BACKBONES

        self.check_fields()  # types, finite numbers, the seed's range, the device's name
        if not self.strategies:
            raise ValueError(Message("inc.no_strategy"))
        unknown = [s for s in self.strategies if s not in strategies]
        if unknown:
            raise ValueError(Message("inc.unknown_strategy", name=repr(unknown[0]), known=", ".join(strategies)))
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError(Message("cfg.strategy_twice"))
        if self.scenario not in SCENARIO_CHOICES:
            raise ValueError(Message("inc.unknown_scenario", name=repr(self.scenario),
                                     known=", ".join(SCENARIO_CHOICES)))
        if self.backbone not in BACKBONES:
            raise ValueError(Message("cfg.unknown_backbone", name=self.backbone, known=", ".join(BACKBONES)))
        checks = [(2 <= self.n_tasks <= 100, Message("inc.tasks_min", tasks=self.n_tasks)),
                  (1 <= self.epochs <= 1000, Message("cfg.epochs_range")),
                  (2 <= self.batch_size <= 4096, Message("cfg.batch_range")),
                  (0 < self.lr <= 1, Message("cfg.lr_range")),
                  (8 <= self.image_size <= 512, Message("cfg.image_size_range")),
                  (1 <= self.memory_per_class <= 100_000, Message("inc.memory_range")),
                  (self.lwf_weight >= 0 and 0 < self.lwf_temperature <= 100, Message("inc.lwf_range")),
                  (self.ewc_lambda >= 0, Message("inc.ewc_range")),
                  (1 <= self.fisher_images <= 100_000, Message("inc.fisher_range")),
                  (self.max_train_images is None or self.max_train_images >= 1, Message("inc.max_train_range")),
                  (self.time_budget_s is None or self.time_budget_s > 0, Message("cfg.time_budget_positive")),
                  (self.eval_images >= 10, Message("cfg.eval_images_min"))]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        return self

    def scenarios(self) -> list[str]:
        """The scenarios this run trains, in order."""
        return ["class", "task"] if self.scenario == "both" else [self.scenario]


# the run settings the page offers besides the dataset, scenario and strategies (defaults: the fields' above,
# chosen so the five-strategy comparison fits a class period on 2 CPU cores, docs/incremental.md)
SETTINGS = (
    setting(IncrementalConfig, "n_tasks", "Tasks", "How many tasks the classes are split into, met one after "
            "another.", low=2, high=10, step=1),
    setting(IncrementalConfig, "epochs", "Epochs per task", "Passes over each task's training images.",
            low=1, high=50, step=1),
    setting(IncrementalConfig, "lr", "Learning rate", "Adam's learning rate; each task starts a fresh optimizer.",
            low=1e-5, high=1.0, format="%.4f"),
    setting(IncrementalConfig, "seed", "Seed", "Seeds the shared initialisation, the batches and the memory.",
            low=0, high=10_000),
)
