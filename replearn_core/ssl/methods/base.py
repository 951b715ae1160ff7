"""What every self-supervised method shares: a backbone, heads, views and one loss per step.

A method is a small subclass: it builds its heads in ``__init__`` and computes
its loss from a uint8 image batch in ``training_loss``. The trainer does the
rest (optimiser, schedule, evaluation, checkpoints). Class attributes carry the
teaching text that the lab page shows beside the curves.
"""

from __future__ import annotations

import torch
from torch import nn

from replearn_core.augment import AugSpec, augment, default_recipe, recipe_from_dicts
from replearn_core.data import hue_free
from replearn_core.cards import Card
from replearn_core.options import Option, resolve_options
from replearn_core.ssl.config import TrainConfig


def mlp(dim_in: int, dim_hidden: int, dim_out: int, last_bn: bool = False) -> nn.Sequential:
    """Linear-BN-ReLU-Linear: the projection and prediction heads of SimCLR, BYOL and SimSiam."""
    layers = [nn.Linear(dim_in, dim_hidden, bias=False), nn.BatchNorm1d(dim_hidden), nn.ReLU(inplace=True),
              nn.Linear(dim_hidden, dim_out, bias=not last_bn)]
    if last_bn:
        layers.append(nn.BatchNorm1d(dim_out, affine=False))
    return nn.Sequential(*layers)


class SSLMethod(nn.Module):
    name = "base"
    title = "Base method"
    order = 1000  # where the registry, the lab and the command line list it: lower first, then by name
    short_title: str | None = None  # its name in tables and run titles where ``title`` is long (None: the title)
    paper = ""
    summary = ""  # two or three sentences shown on the page
    formula = ""  # LaTeX of the loss, shown on the page
    recipe_kind = "contrastive"  # which default view recipe suits the method
    default_epochs = 30  # epochs of a default run: what fits in about 90 s on 2 CPU cores with cnn4 on shapes
    # (bench/ssl_quality.py --defaults measures each method's default run against that budget)
    default_batch_size = 128  # images per step of a default run
    default_eval_every: int | None = None  # epochs between evaluations when the config leaves it open; None =
    # about five a run (TrainConfig.evaluates_at)
    # training views are this fraction of the image size unless the config sets view_size: small views of
    # random crops train fast and well; methods that see (nearly) whole images keep them at full size
    view_fraction = 5 / 8
    uses_temperature = False  # whether the loss has a softmax temperature (TrainConfig.temperature)
    # the pure function of replearn_core.ssl.losses that the method's loss is (its docstring, with paper,
    # formula and shapes, is shown on the page); None where the loss is a standard torch one
    loss_function = None
    options: tuple[Option, ...] = ()  # the method's own settings (config.options), typed and with defaults
    default_backbone = "cnn4"  # the backbone the lab picks for the method (a key of backbones.BACKBONES)
    backbones: tuple[str, ...] | None = None  # the backbones the method can train; None = any
    # what the lab draws from the run's stored method (replearn_core/ssl/views.py): "reconstruction",
    # "samples", "traversal", "jigsaw"; a method with views stores its whole state, heads included, after epoch 1
    # and about five times more in a run (ssl/job.py)
    lab_views: tuple[str, ...] = ()

    @classmethod
    def card(cls) -> Card:
        """Its card for the page: name, summary, loss formula and docstring, paper, options."""
        doc = (cls.loss_function.__doc__ or "") if cls.loss_function else ""
        return Card(f"method.{cls.name}", cls.title, cls.summary, cls.formula, cls.paper, doc, cls.options)

    def __init__(self, backbone: nn.Module, config: TrainConfig):
        super().__init__()
        self.backbone = backbone
        self.config = config
        # the run's value of every declared option (``options``), checked and typed: given in the config, else
        # the option's default
        self.option_values = resolve_options(self.options, config.options, self.name)
        self.recipe: list[AugSpec] = (recipe_from_dicts(config.recipe) if config.recipe is not None
                                      else default_recipe(self.recipe_kind, hue_free(config.dataset)))
        self.view_size = config.view_size or default_view_size(self, config.image_size)  # pixels a side

    @property
    def feature_dim(self) -> int:
        return self.backbone.feature_dim

    def views(self, images: torch.Tensor, generator: torch.Generator | None, n: int = 2) -> list[torch.Tensor]:
        """n independently augmented, normalised views of a uint8 batch, view_size pixels a side."""
        return [augment(images, self.recipe, generator, out_size=self.view_size) for _ in range(n)]

    def training_loss(self, images: torch.Tensor, generator: torch.Generator | None = None
                      ) -> tuple[torch.Tensor, dict[str, float]]:
        """The loss for one uint8 batch (B, 3, H, W), and extra values to log."""
        raise NotImplementedError

    def representation(self) -> nn.Module:
        """What the run evaluates (kNN, linear probe, the final embeddings): the backbone's features, unless
        the method defines its representation otherwise (the VAE: the posterior mean)."""
        return self.backbone

    def collapse_embedding(self, x: torch.Tensor) -> torch.Tensor:
        """What the collapse meter measures: the projector's output where there is one (as in the
        SimSiam paper, where collapse shows first), else the backbone's features."""
        features = self.backbone(x)
        projector = getattr(self, "projector", None)
        return projector(features) if projector is not None else features

    @torch.no_grad()
    def after_step(self, progress: float) -> None:
        """Called after each optimiser step; progress goes from 0 to 1 (momentum encoders update here)."""


def default_view_size(method, image_size: int) -> int:
    """Pixels a side of a method's (class or instance) training views when the config leaves it open."""
    return max(8, round(image_size * method.view_fraction))


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """target <- momentum * target + (1 - momentum) * online, parameter by parameter; buffers copied."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(momentum).add_(o.detach(), alpha=1 - momentum)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)
