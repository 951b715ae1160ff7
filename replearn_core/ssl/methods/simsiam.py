from replearn_core.options import Option
from replearn_core.ssl.losses.negative_cosine import negative_cosine
from replearn_core.ssl.methods.base import SSLMethod, mlp


class SimSiam(SSLMethod):
    name = "simsiam"
    title = "SimSiam"
    order = 40
    paper = "Chen & He 2020, Exploring Simple Siamese Representation Learning"
    summary = ("BYOL without the momentum encoder: one network, a predictor on one branch and a "
               "stop-gradient on the other. Remove the stop-gradient (the switch below) and every image "
               "maps to the same point: the collapse meter drops to zero.")
    loss_function = staticmethod(negative_cosine)
    formula = (r"\mathcal{L} = \tfrac12 D\big(p_1, \mathrm{sg}(z_2)\big) + \tfrac12 D\big(p_2, \mathrm{sg}(z_1)\big),"
               r"\quad D(p,z) = -\frac{p}{\lVert p\rVert}\cdot\frac{z}{\lVert z\rVert}")
    default_epochs = 26  # a small predictor on top of SimCLR's cost
    options = (Option("stop_gradient", True, "Stop-gradient",
                      "Turn off to watch SimSiam collapse: the collapse meter falls to 0."),)
    # 64 images a step: at 128 the same 65 s ended anywhere from kNN 0.33 to 0.46 with the seed and epoch
    # count; at 64, 0.463 and 0.461 for seeds 0 and 1 at 26 epochs, but 0.396 at 28: SimSiam's end point
    # is the most sensitive of all the methods to the run's length (docs/ssl_tests_benchmarks.md)
    default_batch_size = 64

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.stop_gradient = self.option_values["stop_gradient"]
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
