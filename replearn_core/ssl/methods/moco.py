import copy

import torch
import torch.nn.functional as F

from replearn_core.options import Option
from replearn_core.ssl.losses.info_nce import info_nce
from replearn_core.ssl.methods.base import SSLMethod, ema_update, mlp


class MoCo(SSLMethod):
    name = "moco"
    title = "MoCo v2"
    order = 20
    short_title = "MoCo"
    paper = "He et al. 2019 (MoCo) and Chen et al. 2020 (MoCo v2, Improved Baselines with Momentum Contrast)"
    summary = ("A query encoder learns to match each image's key, made by a slowly moving momentum copy "
               "of itself, against a queue of keys from earlier batches: many negatives without a huge batch.")
    loss_function = staticmethod(info_nce)
    formula = (r"\mathcal{L} = -\log\frac{\exp(q\cdot k_+/\tau)}{\exp(q\cdot k_+/\tau)+\sum_{n\in\text{queue}}"
               r"\exp(q\cdot n/\tau)},\quad \theta_k \leftarrow m\,\theta_k + (1-m)\,\theta_q")
    default_epochs = 40  # no backward pass through the key encoder: cheaper steps
    uses_temperature = True
    options = (
        Option("momentum", 0.99, "Key-encoder momentum",
               "How slowly the key encoder follows the query encoder; a slow key encoder keeps the keys in the "
               "queue consistent with each other.", low=0.0, high=1.0),
        Option("queue_size", 2048, "Queue size",
               "Keys of earlier batches kept as negatives: MoCo's way to many negatives without a big batch.",
               low=16, high=65536),
    )

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.projector = mlp(self.feature_dim, 512, 128)
        self.momentum = self.option_values["momentum"]
        queue_size = self.option_values["queue_size"]
        self.key_backbone = copy.deepcopy(self.backbone).requires_grad_(False)
        self.key_projector = copy.deepcopy(self.projector).requires_grad_(False)
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, 128), dim=1))
        self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        q = self.projector(self.backbone(v1))  # (B, 128) queries
        with torch.no_grad():
            k = F.normalize(self.key_projector(self.key_backbone(v2)).float(), dim=1)  # (B, 128) keys
        loss = info_nce(q, k, self.queue.clone(), self.config.temperature)
        self._enqueue(k)
        return loss, {}

    @torch.no_grad()
    def _enqueue(self, keys):
        n, size = len(keys), len(self.queue)
        ptr = int(self.queue_ptr)
        idx = (torch.arange(n, device=keys.device) + ptr) % size
        self.queue[idx] = keys.to(self.queue.dtype)
        self.queue_ptr.fill_((ptr + n) % size)

    @torch.no_grad()
    def after_step(self, progress):
        ema_update(self.key_backbone, self.backbone, self.momentum)
        ema_update(self.key_projector, self.projector, self.momentum)
