"""The metric-learning model: a backbone, a linear embedding head, and one loss from the registry."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from replearn_core.metric import METRIC_METHODS


@dataclass
class MetricOptions:
    """Settings of a metric-learning run that TrainConfig does not have; they come in ``options``.

    None = the loss's own default, declared on its entry of :data:`replearn_core.metric.METRIC_METHODS`
    (``options``) and measured on shapes (docs/metric_learning.md); :meth:`resolved` fills them in.
    """
    embedding_dim: int = 64  # size of the embedding that retrieval compares
    m_per_class: int | None = None  # images per class in each batch (class-balanced sampler)
    margin: float | None = None  # loss margin (triplet, contrastive; ArcFace's in radians)
    mining: str | None = None  # triplet miner: batch_hard or batch_all
    soft_margin: bool | None = None  # triplet: log(1 + e^{d_ap - d_an}) instead of the hinge (Hermans et al.)
    all_warmup: float | None = None  # batch-hard triplet: this fraction of the steps first mined batch-all
    center: bool | None = None  # subtract the embeddings' mean (batch mean in training, running mean after)
    pairs: str | None = None  # contrastive: "all" pairs of the batch or "balanced" random pairs
    distance: str | None = None  # contrastive: "cosine" (1 - cos) or "euclidean" between normalised embeddings
    scale: float | None = None  # ArcFace scale s
    augment: bool | None = None  # light random crops and colour jitter on the training images

    @classmethod
    def from_dict(cls, data: dict) -> "MetricOptions":
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown metric-learning option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        out = cls(**{key: _typed(key, value) for key, value in data.items()})
        if out.mining not in (None, "batch_hard", "batch_all"):
            raise ValueError(f"mining must be batch_hard or batch_all, got {out.mining!r}")
        if out.pairs not in (None, "all", "balanced"):
            raise ValueError(f"pairs must be all or balanced, got {out.pairs!r}")
        if out.distance not in (None, "cosine", "euclidean"):
            raise ValueError(f"distance must be cosine or euclidean, got {out.distance!r}")
        if not 2 <= int(out.embedding_dim) <= 4096:
            raise ValueError("embedding_dim must be between 2 and 4096")
        if out.m_per_class is not None and int(out.m_per_class) < 2:
            raise ValueError("m_per_class must be at least 2: an image needs a positive in its batch")
        return out

    def resolved(self, method: str) -> "MetricOptions":
        """A copy with every None replaced by the method's declared default (or the shared one)."""
        declared = {**SHARED_DEFAULTS, **METRIC_METHODS[method].options}
        return replace(self, **{key: declared.get(key) for key, value in vars(self).items()
                                if value is None and key in declared})


# defaults of the options a loss does not declare
SHARED_DEFAULTS = {"m_per_class": 8, "margin": 0.0, "mining": "batch_hard", "soft_margin": False, "all_warmup": 0.0, "center": False,
                   "pairs": "balanced", "distance": "euclidean", "scale": 16.0, "augment": True}


def _typed(key: str, value):
    """Text from the command line (--option margin=0.3) turned into the field's type."""
    if not isinstance(value, str) or key in ("mining", "pairs", "distance"):
        return value
    if key in ("augment", "soft_margin", "center"):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{key} must be true or false, got {value!r}")
        return value.lower() in ("true", "1", "yes")
    try:
        return int(value) if key in ("embedding_dim", "m_per_class") else float(value)
    except ValueError:
        raise ValueError(f"{key} must be a number, got {value!r}") from None


class MetricModel(nn.Module):
    def __init__(self, method: str, backbone: nn.Module, num_classes: int, options: MetricOptions,
                 temperature: float = 0.1):
        super().__init__()
        if method not in METRIC_METHODS:
            raise ValueError(f"unknown metric-learning method {method!r}; known: {', '.join(METRIC_METHODS)}")
        self.method = method
        self.backbone = backbone
        self.head = nn.Linear(backbone.feature_dim, options.embedding_dim)
        self.options = options = options.resolved(method)
        self.temperature = temperature
        self.margin = options.margin
        # centring: at initialisation every embedding shares one large common direction (all cosines near 1),
        # and batch-hard mining then pulls everything to a point; subtracting the mean removes that direction
        self.register_buffer("embedding_mean", torch.zeros(options.embedding_dim))
        self.progress = 0.0  # share of the run's steps done; the job sets it (batch-all warm-up of batch-hard)
        centres = METRIC_METHODS[method].class_centres  # ArcFace: a learned centre per class
        self.class_centres = (centres(options.embedding_dim, num_classes, options.scale, self.margin)
                              if centres is not None else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        emb = self.head(self.backbone(x))  # (B, embedding_dim)
        if not self.options.center:
            return emb
        if self.training and len(emb) > 1:
            mean = emb.mean(0)
            with torch.no_grad():
                self.embedding_mean.lerp_(mean.detach().float(), 0.1)
            return emb - mean
        return emb - self.embedding_mean.to(emb.dtype)

    def head_state(self) -> dict[str, torch.Tensor]:
        """The embedding head as one linear layer, the running mean folded into its bias when centring."""
        state = {k: v.detach().clone() for k, v in self.head.state_dict().items()}
        if self.options.center:
            state["bias"] = state["bias"] - self.embedding_mean
        return state

    def loss(self, x: torch.Tensor, labels: torch.Tensor, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, dict[str, float]]:
        emb = self(x).float()
        return METRIC_METHODS[self.method].loss(self, emb, labels, generator)
