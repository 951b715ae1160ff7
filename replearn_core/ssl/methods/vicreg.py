from replearn_core.options import Option
from replearn_core.ssl.losses.vicreg import vicreg, vicreg_terms
from replearn_core.ssl.methods.base import SSLMethod, mlp


class VICReg(SSLMethod):
    name = "vicreg"
    title = "VICReg"
    order = 55
    paper = "Bardes, Ponce and LeCun 2022, VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning"
    summary = ("Three terms on the embeddings of two views: invariance pulls the views together, variance keeps "
               "every dimension's spread across the batch above 1 so that nothing collapses, and covariance "
               "decorrelates the dimensions. No negatives, no momentum encoder, no stop-gradient.")
    loss_function = staticmethod(vicreg)
    # a step costs what Barlow Twins' does (two 20-pixel views through cnn4, a 512-wide projector, one 512 × 512
    # matrix a view) and a little more (three terms): 24 epochs of 128 images fit the 90 s (30 took 96 s with
    # kNN 0.70); on shapes kNN 0.15 untrained, 0.52 after 6 epochs, 0.69 after 24
    default_epochs = 24
    default_batch_size = 128
    formula = r"\mathcal{L} = \lambda\, s(Z,Z') + \mu\,[v(Z)+v(Z')] + \nu\,[c(Z)+c(Z')]"
    options = (Option("sim_weight", 25.0, "Invariance weight λ",
                      "How strongly the two views' embeddings are pulled together (the paper's 25).",
                      low=0.0, high=100.0),
               Option("var_weight", 25.0, "Variance weight μ",
                      "How strongly each dimension's standard deviation is kept above 1; 0 lets the "
                      "representation collapse (the paper's 25).", low=0.0, high=100.0),
               Option("cov_weight", 1.0, "Covariance weight ν",
                      "How strongly different dimensions are pushed to be uncorrelated (the paper's 1).",
                      low=0.0, high=100.0))

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        values = self.option_values
        self.weights = values["sim_weight"], values["var_weight"], values["cov_weight"]
        self.projector = mlp(self.feature_dim, 512, 512)

    def training_loss(self, images, generator=None):
        v1, v2 = self.views(images, generator)
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))  # (B, 512)
        invariance, variance, covariance = vicreg_terms(z1, z2)
        sim_weight, var_weight, cov_weight = self.weights
        loss = sim_weight * invariance + var_weight * variance + cov_weight * covariance
        return loss, {"invariance": invariance.item(), "variance": variance.item(), "covariance": covariance.item()}
