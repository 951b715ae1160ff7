import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.ssl.methods.base import SSLMethod


class RotationPrediction(SSLMethod):
    name = "rotation"
    title = "Rotation prediction"
    order = 60
    paper = "Gidaris et al. 2018, Unsupervised Representation Learning by Predicting Image Rotations"
    summary = ("A pretext task: each image is rotated by 0, 90, 180 or 270 degrees and the network must "
               "say which. To do so it has to recognise objects and their usual orientation.")
    formula = r"\mathcal{L} = -\frac{1}{4}\sum_{r=0}^{3}\log p_\theta\big(r \mid \mathrm{rot}(x, 90^\circ r)\big)"
    default_epochs = 11  # four rotated copies of every image per step
    # 64 images (256 rotated copies) a step: twice the steps of 128 in the same time, and they count more
    # here (11 epochs: kNN 0.382 at 128, 0.624 at 64; docs/ssl_tests_benchmarks.md)
    default_batch_size = 64
    recipe_kind = "light"
    view_fraction = 1.0  # light crops: views the size of the images

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.head = nn.Linear(self.feature_dim, 4)

    def training_loss(self, images, generator=None):
        x, = self.views(images, generator, n=1)  # (B, 3, S, S)
        rotated = torch.cat([torch.rot90(x, r, dims=(2, 3)) for r in range(4)])  # (4B, 3, H, W)
        targets = torch.arange(4, device=x.device).repeat_interleave(len(x))  # (4B,)
        logits = self.head(self.backbone(rotated))
        loss = F.cross_entropy(logits.float(), targets)
        accuracy = (logits.argmax(1) == targets).float().mean().item()
        return loss, {"pretext_acc": accuracy}
