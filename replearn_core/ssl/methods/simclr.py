from replearn_core.ssl.losses.nt_xent import nt_xent
from replearn_core.ssl.methods.base import SSLMethod, mlp


class SimCLR(SSLMethod):
    name = "simclr"
    title = "SimCLR"
    order = 10
    paper = "Chen et al. 2020, A Simple Framework for Contrastive Learning of Visual Representations"
    summary = ("Two augmented views of each image are pulled together and pushed away from the views of "
               "every other image in the batch. Big batches (many negatives) and strong colour "
               "augmentation matter most.")
    uses_temperature = True
    loss_function = staticmethod(nt_xent)
    formula = (r"\ell_i = -\log \frac{\exp(\cos(z_i, z_{j(i)})/\tau)}{\sum_{k\neq i}\exp(\cos(z_i, z_k)/\tau)}")

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.projector = mlp(self.feature_dim, 512, 128)

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))  # (B, 128) each
        return nt_xent(z1, z2, self.config.temperature), {}
