from replearn_core.options import Option
from replearn_core.ssl.losses.barlow_twins import barlow_twins
from replearn_core.ssl.methods.base import SSLMethod, mlp


class BarlowTwins(SSLMethod):
    name = "barlow_twins"
    title = "Barlow Twins"
    order = 50
    paper = "Zbontar et al. 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction"
    summary = ("Make the cross-correlation matrix between the embeddings of two views as close to the "
               "identity as possible: each feature invariant to augmentation (diagonal = 1) and no two "
               "features redundant (off-diagonal = 0). No negatives, no momentum encoder.")
    loss_function = staticmethod(barlow_twins)
    formula = r"\mathcal{L} = \sum_i (1-C_{ii})^2 + \lambda\sum_i\sum_{j\neq i} C_{ij}^2"
    options = (Option("lambd", 5e-3, "Off-diagonal weight λ",
                      "How strongly different embedding dimensions are pushed to be uncorrelated "
                      "(the paper's 5e-3).", low=0.0, high=1.0),)

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.lambd = self.option_values["lambd"]
        self.projector = mlp(self.feature_dim, 512, 512)

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))  # (B, 512)
        # scaled by the embedding size so that the default learning rate suits every method
        return barlow_twins(z1, z2, self.lambd) / z1.shape[1] * 8, {}
