import copy
import math

import torch

from replearn_core.options import Option
from replearn_core.ssl.losses.byol import byol
from replearn_core.ssl.methods.base import SSLMethod, ema_update, mlp


class BYOL(SSLMethod):
    name = "byol"
    title = "BYOL"
    order = 30
    paper = "Grill et al. 2020, Bootstrap Your Own Latent"
    summary = ("No negatives at all: an online network predicts the projection that a target network, an "
               "exponential moving average of the online one, gives the other view. The predictor and "
               "the slowly moving target keep it from collapsing.")
    loss_function = staticmethod(byol)
    formula = (r"\mathcal{L} = \big(2-2\cos(q_\theta(z_1), z'_2)\big) + \big(2-2\cos(q_\theta(z_2), z'_1)\big),"
               r"\quad \xi \leftarrow \tau\,\xi + (1-\tau)\,\theta")
    default_epochs = 32  # a target network's forward pass on both views
    options = (Option("momentum", 0.9, "Target momentum",
                      "How slowly the target network follows the online one (its weights move by 1 − momentum "
                      "of the gap each step, rising to 1 by the end). The paper's 0.996 is for runs of "
                      "hundreds of thousands of steps; a short run learns more at 0.9.", low=0.0, high=1.0),)

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.projector = mlp(self.feature_dim, 512, 128)
        self.predictor = mlp(128, 512, 128)
        # 0.9 rather than the paper's 0.996: in a run of a few thousand steps a slower target learns less
        # (28 epochs: 0.99 -> kNN 0.385, 0.97 -> 0.394, 0.9 -> 0.439, 0.8 -> 0.439; docs/ssl_tests_benchmarks.md)
        self.base_momentum = self.option_values["momentum"]
        self.target_backbone = copy.deepcopy(self.backbone).requires_grad_(False)
        self.target_projector = copy.deepcopy(self.projector).requires_grad_(False)

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        p1 = self.predictor(self.projector(self.backbone(v1)))
        p2 = self.predictor(self.projector(self.backbone(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_backbone(v1))
            z2 = self.target_projector(self.target_backbone(v2))
        return byol(p1, p2, z1, z2), {}

    @torch.no_grad()
    def after_step(self, progress):
        # the target's momentum rises from its base value to 1 on a cosine schedule, as in the paper
        tau = 1 - (1 - self.base_momentum) * (math.cos(math.pi * progress) + 1) / 2
        ema_update(self.target_backbone, self.backbone, tau)
        ema_update(self.target_projector, self.projector, tau)
