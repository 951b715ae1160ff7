"""Metric learning: train an embedding where distance means "same class", then search by example.

:data:`METRIC_METHODS` lists the losses (one file each in ``replearn_core/metric/losses/``) with
the teaching text the page shows. A run is job kind ``"metric"`` (:func:`replearn_core.metric.job.run_metric`);
``python -m replearn_core train --method triplet`` routes here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from replearn_core.metric.losses import ArcFace, siamese_loss, supcon_loss, triplet_loss
from replearn_core.cards import Card
from replearn_core.metric.config import MetricConfig
from replearn_core.options import Option, setting


def _triplet(model, emb, labels, generator):
    mining = model.options.mining
    if mining == "batch_hard" and model.progress < model.options.all_warmup:
        mining = "batch_all"  # from scratch every hardest triplet looks alike: start from all of them
    return triplet_loss(emb, labels, model.options.margin, mining, model.options.soft_margin)


def _contrastive(model, emb, labels, generator):
    return siamese_loss(emb, labels, model.options.margin, generator, model.options.pairs, model.options.distance)


def _arcface(model, emb, labels, generator):
    return model.class_centres(emb, labels), {}


def _supcon(model, emb, labels, generator):
    return supcon_loss(emb, labels, model.options.temperature), {}


def _batch_options(m_per_class: int = 8, center: bool = False) -> tuple[Option, ...]:
    """The settings every loss has: how batches are drawn, the embedding's size, centring and augmentation."""
    return (
        Option("m_per_class", m_per_class, "Images per class in a batch (m)",
               "The class-balanced sampler puts m images of each chosen class in a batch, so every image has "
               "positives to compare with.", 2, 32, step=1),
        Option("embedding_dim", 64, "Embedding size", "Dimensions of the embedding that retrieval compares.",
               2, 4096),
        Option("center", center, "Centre the embeddings",
               "Subtract the embeddings' mean (the batch's in training, a running mean after): from scratch every "
               "embedding shares one direction, and centring removes it."),
        Option("augment", True, "Light augmentation", "Random crops and colour jitter on the training images."),
    )


def _margin(default: float, help_text: str) -> Option:
    return Option("margin", default, "Margin", help_text, 0.0, 2.0, step=0.05)


@dataclass(frozen=True)
class MetricMethod:
    """A metric-learning loss: its card for the page, its measured defaults, its typed options (what the page
    draws and a run may set) and how it scores a batch of embeddings. Adding a loss is its function and one
    entry here."""
    name: str
    title: str
    paper: str
    summary: str  # two or three sentences for the page
    formula: str  # LaTeX of the loss
    options: tuple[Option, ...] = ()  # its settings, typed, with their measured defaults (docs/metric_learning.md)
    epochs: int = 5  # default passes over the training images (measured per loss on shapes: docs/metric_learning.md)
    batch_size: int = 128  # default images per step (P classes × m images)
    lr: float = 2e-3  # default peak learning rate (AdamW, warm-up then cosine)
    # loss(model, embeddings (B, D), labels (B,), generator) -> (loss, extra values to log); reads the run's
    # options (margin, mining, ...) from the MetricModel
    loss: Callable | None = None
    class_centres: Callable | None = None  # (embedding_dim, classes, scale, margin) -> a module of learned centres

    def card(self) -> Card:
        """Its card for the page: name, summary, loss formula, paper, options."""
        return Card(f"metric_method.{self.name}", self.title, self.summary, self.formula, self.paper,
                    options=self.options)

    def run_defaults(self) -> dict:
        """The MetricConfig fields this loss declares: what the page and the benchmark start from."""
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}

    def settings(self) -> tuple[Option, ...]:
        """The run settings the page offers for this loss (:data:`SETTINGS`), from its measured defaults."""
        defaults = self.run_defaults()
        return tuple(replace(o, default=defaults.get(o.name, o.default)) for o in SETTINGS)


# the run settings the page offers beside each loss's own options; a loss's measured epochs, batch and learning
# rate replace the defaults here (MetricMethod.settings)
SETTINGS = (
    setting(MetricMethod, "epochs", "Epochs", "Passes over the training images; digits on a CPU: ~10 s each.",
            low=1, high=50, step=1),
    setting(MetricMethod, "batch_size", "Batch size", "Images per step, drawn as P classes × m images of each.",
            values=(32, 64, 128, 256, 512)),
    setting(MetricMethod, "lr", "Learning rate", "Peak AdamW learning rate.", low=1e-5, high=1.0, format="%.4f"),
    setting(MetricConfig, "seed", "Seed", "Seeds initialisation, batches and augmentations.", low=0, high=10_000),
)


METRIC_METHODS: dict[str, MetricMethod] = {
    "triplet": MetricMethod(
        "triplet", "Triplet loss", "Schroff et al. 2015 (FaceNet); Hermans et al. 2017 (batch-hard mining)",
        "An anchor must be closer to a positive (same class) than to a negative by a margin. "
        "A miner picks the triplets of each batch: batch-hard takes each anchor's farthest positive and "
        "nearest negative, batch-all every triplet that still violates the margin.",
        r"\mathcal{L} = \max\big(0,\ \|f(a)-f(p)\| - \|f(a)-f(n)\| + m\big)",
        # centred embeddings: from scratch every embedding shares one direction and batch-hard stalled at the
        # margin (MAP@R +0.005 in 5 epochs on shapes); centring let it learn (docs/metric_learning.md)
        # and 10 classes × 6 images per batch of 64 (m_per_class 4 fills up to 6): batch-hard's hardest positive
        # among 5, not 11, is less often an outlier (validation MAP@R 0.205 against 0.13-0.16 at batch 128)
        _batch_options(m_per_class=4, center=True) + (
            _margin(0.2, "How much nearer than the negative the positive must be."),
            Option("mining", "batch_hard", "Triplet mining",
                   "batch_hard: each anchor's farthest positive and nearest negative; batch_all: every triplet "
                   "that still violates the margin.", choices=("batch_hard", "batch_all")),
            Option("soft_margin", False, "Soft margin",
                   "log(1 + e^(d_ap − d_an)) in place of the hinge (Hermans et al.): every triplet keeps a "
                   "little gradient."),
            Option("all_warmup", 0.0, "Batch-all warm-up",
                   "Batch-hard only: this share of the steps first mines batch-all.", 0.0, 1.0, step=0.05)),
        epochs=12, batch_size=64, loss=_triplet),
    "contrastive": MetricMethod(
        "contrastive", "Siamese contrastive loss", "Hadsell, Chopra & LeCun 2006",
        "Two copies of one encoder embed a pair of images. Same-class pairs are pulled together; "
        "different-class pairs are pushed apart until they are a margin away.",
        r"\mathcal{L} = y\,d^2 + (1-y)\max(0,\ m - d)^2,\quad d = 1 - \cos\big(f(x_1), f(x_2)\big)",
        # every pair of the P×K batch on the cosine distance, negatives averaged over those inside the margin:
        # balanced random pairs with a Euclidean margin of 1 barely learned (MAP@R +0.014 in 5 epochs on shapes)
        # (validation MAP@R at 12 epochs: margin 0.5 0.335, 0.7 0.370)
        _batch_options() + (
            _margin(0.7, "How far apart different-class pairs are pushed."),
            Option("pairs", "all", "Pairs", "all: every pair of the batch; balanced: as many random same-class "
                   "as different-class pairs.", choices=("all", "balanced")),
            Option("distance", "cosine", "Distance", "Between the normalised embeddings: cosine (1 − cos) or "
                   "euclidean.", choices=("cosine", "euclidean"))),
        epochs=12, loss=_contrastive),
    "arcface": MetricMethod(
        "arcface", "ArcFace", "Deng et al. 2019",
        "Each class owns a learned centre on the sphere. A softmax over cosine similarities to the centres, "
        "with an extra angle m added to the true class, forces tight, well-separated clusters.",
        r"\mathcal{L} = -\log\frac{e^{s\cos(\theta_y+m)}}{e^{s\cos(\theta_y+m)}+\sum_{c\neq y}e^{s\cos\theta_c}}",
        # validation MAP@R at 12 epochs: scale 16 0.471, 32 0.296
        _batch_options() + (
            _margin(0.3, "The extra angle, in radians, added to the true class."),
            Option("scale", 16.0, "Scale s", "Multiplies the cosines before the softmax: higher is sharper.",
                   1.0, 128.0, step=1.0)),
        epochs=12, loss=_arcface, class_centres=ArcFace),
    "supcon": MetricMethod(
        "supcon", "Supervised contrastive (SupCon)", "Khosla et al. 2020",
        "SimCLR's contrastive loss where every other image of the same class in the batch is a positive. "
        "The temperature τ sets how much the hardest negatives count.",
        r"\mathcal{L} = \frac{1}{B}\sum_i \frac{-1}{|P(i)|}\sum_{p\in P(i)}"
        r"\log\frac{e^{z_i\cdot z_p/\tau}}{\sum_{a\neq i}e^{z_i\cdot z_a/\tau}}",
        _batch_options() + (
            Option("temperature", 0.1, "Temperature τ",
                   "The softmax temperature: lower weighs the hardest negatives more.", 0.01, 1.0, step=0.01),),
        epochs=12, loss=_supcon),
}

__all__ = ["METRIC_METHODS", "MetricMethod"]
