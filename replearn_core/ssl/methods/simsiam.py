from replearn_core.ssl.losses import negative_cosine
from replearn_core.ssl.methods.base import SSLMethod, mlp


class SimSiam(SSLMethod):
    name = "simsiam"
    title = "SimSiam"
    paper = "Chen & He 2020, Exploring Simple Siamese Representation Learning"
    summary = ("BYOL without the momentum encoder: one network, a predictor on one branch and a "
               "stop-gradient on the other. Remove the stop-gradient (the switch below) and every image "
               "maps to the same point: the collapse meter drops to zero.")
    formula = (r"\mathcal{L} = \tfrac12 D\big(p_1, \mathrm{sg}(z_2)\big) + \tfrac12 D\big(p_2, \mathrm{sg}(z_1)\big),"
               r"\quad D(p,z) = -\frac{p}{\lVert p\rVert}\cdot\frac{z}{\lVert z\rVert}")

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.stop_gradient = bool(config.options.get("stop_gradient", True))
        # no batch norm on the projector's output: with it, the no-stop-gradient variant can reach
        # loss -1 through an identity predictor instead of collapsing, and the demo shows nothing
        self.projector = mlp(self.feature_dim, 512, 256)
        self.predictor = mlp(256, 64, 256)  # the bottleneck predictor of the paper

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))  # (B, 256)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        loss = 0.5 * negative_cosine(p1, z2, self.stop_gradient) + 0.5 * negative_cosine(p2, z1, self.stop_gradient)
        return loss, {}
