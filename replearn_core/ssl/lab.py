"""What the self-supervised lab page asks of the engine, as plain functions.

The page gathers widgets and calls these; the command line and the tests can
call them just the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from replearn_core.augment import AUGMENTATIONS, augment, default_recipe, denormalize, recipe_from_dicts
from replearn_core.data import hue_free, load_dataset
from replearn_core.options import Option, default_options, setting
from replearn_core.runs.store import RunStore
from replearn_core.runs.access import LOCAL, User, submit_as
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from replearn_core.ssl.methods.base import default_view_size


@dataclass
class LabDefaults:
    """What the lab offers for a method beside its card (``METHODS[m].card()``: title, summary, formula,
    paper, loss docstring): its default run, views and backbones. Not a card: a card
    (:class:`replearn_core.cards.Card`) is a declared thing's teaching text."""
    name: str
    recipe_kind: str  # which default view recipe suits the method (augment.default_recipe)
    default_epochs: int = 20  # epochs of the method's default run (about 90 s on 2 CPU cores)
    default_view_size: int = 20  # pixels a side of its training views for the default 32-pixel images
    default_batch_size: int = 128  # images per step of the default run
    uses_temperature: bool = False  # whether the temperature setting means anything to the method
    options: tuple[Option, ...] = field(default_factory=tuple)  # its own settings, one page control each
    default_backbone: str = "cnn4"  # the backbone the page picks for the method
    backbones: tuple[str, ...] | None = None  # the backbones it can train; None = any
    lab_views: tuple[str, ...] = ()  # what the page draws from the run's stored method (ssl/views.py)

    def settings(self) -> tuple[Option, ...]:
        """The run settings the page offers for this method (:data:`SETTINGS`), from its defaults; the
        temperature only for a method that uses one."""
        own = {"epochs": self.default_epochs, "batch_size": self.default_batch_size,
               "view_size": self.default_view_size}
        return tuple(replace(o, default=own.get(o.name, o.default)) for o in SETTINGS
                     if o.name != "temperature" or self.uses_temperature)

    def default_recipe(self, dataset: str = "shapes") -> list[dict]:
        """The method's default views for a dataset, as table rows (the hue turns only where classes
        never depend on hue)."""
        return [spec.to_dict() for spec in default_recipe(self.recipe_kind, hue_free(dataset))]


# the run settings the page offers beside a method's own options; epochs, batch and view size start from the
# method's defaults (LabDefaults.settings)
SETTINGS = (
    Option("epochs", LabDefaults.default_epochs, "Epochs", "Passes over the training images. Each method's default "
           "fits in about 90 s on a 2-core CPU (cnn4 on shapes: about 2 s an epoch for SimCLR).", low=1, high=100,
           step=1),
    Option("batch_size", LabDefaults.default_batch_size, "Batch size",
           "Images per step. Contrastive methods see 2·B − 2 negatives per image.",
           values=(32, 64, 128, 256, 512, 1024)),
    setting(TrainConfig, "lr", "Learning rate", "Peak AdamW learning rate after a short warm-up; cosine decay to 0.",
            low=1e-5, high=1.0, format="%.4f"),
    setting(TrainConfig, "temperature", "Temperature τ",
            "Softmax temperature of SimCLR and MoCo: lower values weigh hard negatives more.", low=0.05, high=1.0,
            step=0.05),
    Option("view_size", LabDefaults.default_view_size, "View size (pixels)",
           "Training views are random crops drawn at this size. Smaller views train faster; a crop shows the object "
           "about as large as the whole image does at full size.", low=8, high=TrainConfig().image_size, step=1),
    setting(TrainConfig, "seed", "Seed", "Seeds initialisation, batch order and augmentations.", low=0, high=10_000),
)


def lab_defaults() -> dict[str, LabDefaults]:
    """What the lab offers for every registered method: its default run, views and backbones."""
    return {name: LabDefaults(name, cls.recipe_kind, cls.default_epochs,
                             default_view_size(cls, TrainConfig().image_size), cls.default_batch_size,
                             cls.uses_temperature, cls.options, cls.default_backbone, cls.backbones, cls.lab_views)
            for name, cls in METHODS.items()}


def augmentation_help() -> dict[str, str]:
    return dict(AUGMENTATIONS)


def preview_views(dataset: str, recipe: list[dict], n: int = 6, seed: int = 0, image_size: int = 32
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n originals and two augmented views of each, as uint8 (n, H, W, 3) tensors."""
    specs = recipe_from_dicts(recipe)
    data = load_dataset(dataset, "train", image_size).take(n, seed=seed)
    g = torch.Generator().manual_seed(seed)

    def to_hwc(x):
        return (x.permute(0, 2, 3, 1) * 255).round().to(torch.uint8)

    v1 = denormalize(augment(data.images, specs, g))
    v2 = denormalize(augment(data.images, specs, g))
    return data.images.permute(0, 2, 3, 1).contiguous(), to_hwc(v1), to_hwc(v2)


def lab_default_config(method: str | None = None) -> dict:
    """The run the lab page submits when Train is pressed without touching a setting: the first dataset,
    method and backbone, the method's own epochs, view size and augmentation recipe, and TrainConfig's other
    defaults (``bench/responsiveness.py`` times this run; a page test checks the page submits it)."""
    from replearn_core.backbones import BACKBONES
    from replearn_core.data import DATASETS

    every = lab_defaults()
    defaults = every[method or next(iter(every))]
    dataset = next(iter(DATASETS))
    backbone = defaults.default_backbone if defaults.default_backbone in BACKBONES else next(iter(BACKBONES))
    return dict(TrainConfig().to_dict(), dataset=dataset, method=defaults.name, backbone=backbone,
                epochs=defaults.default_epochs, batch_size=defaults.default_batch_size,
                view_size=defaults.default_view_size, recipe=defaults.default_recipe(dataset),
                options=default_options(defaults.options))


def start_ssl_run(config: dict | TrainConfig, store: RunStore | None = None, name: str | None = None,
                  user: User = LOCAL) -> str:
    """Validate a configuration and queue it for a worker process as the user's run; returns the run id."""
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    cfg.validate(METHODS)
    load_dataset(cfg.dataset, "train", cfg.image_size)  # fail here, with its message, not in the worker
    label = name or f"{cfg.method} · {cfg.dataset} · {cfg.backbone}"
    return submit_as(user, "ssl", cfg.to_dict(), name=label, store=store)
