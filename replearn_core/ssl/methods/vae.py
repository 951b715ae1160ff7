import torch
from torch import nn

from replearn_core.augment import denormalize
from replearn_core.options import Option
from replearn_core.ssl.losses.elbo import elbo
from replearn_core.ssl.methods.autoencoder import Decoder
from replearn_core.ssl.methods.base import SSLMethod


class VariationalAutoencoder(SSLMethod):
    name = "vae"
    title = "Variational autoencoder (β-VAE)"
    order = 90
    short_title = "VAE"
    paper = ("Kingma & Welling 2014, Auto-Encoding Variational Bayes; Higgins et al. 2017, β-VAE: Learning Basic "
             "Visual Concepts with a Constrained Variational Framework")
    summary = ("The encoder gives each image a small cloud in a latent space (a mean and a spread per dimension) "
               "instead of a point; a decoder redraws the image from a sample of the cloud, and a KL term keeps "
               "the clouds near a standard normal, so that any point of the space decodes to an image: sample "
               "the prior to make new ones. Raise β and each latent dimension tends to take one property "
               "(position, size, colour): the latent traversal moves one dimension at a time, the feature "
               "separation (特征分离) of the second article.")
    formula = (r"\mathcal{L} = \tfrac12\lVert g_\phi(z) - x\rVert_2^2 + \beta\,"
               r"\mathrm{KL}\big(\mathcal{N}(\mu_\theta(x), \sigma^2_\theta(x))\,\Vert\,\mathcal{N}(0, I)\big),"
               r"\quad z = \mu + \sigma\odot\epsilon")
    recipe_kind = "light"
    view_fraction = 1.0  # the decoder draws whole images: samples and traversals are image-sized
    default_epochs = 14  # 2.4–3.1× the autoencoder's time a step (32-pixel views; bench/step_cost.py): 14 epochs
    # ≈ its 30, about 55 s of training on 2 quiet cores
    default_batch_size = 128
    lab_views = ("reconstruction", "samples", "traversal")
    loss_function = staticmethod(elbo)
    options = (
        Option("beta", 1.0, "β (weight of the KL term)",
               "1 is the plain VAE. Larger β squeezes the latent code towards the prior: blurrier reconstructions, "
               "but latent dimensions that each move one property (see the traversal).", low=0.0, high=8.0, step=0.5),
        Option("latent_dim", 128, "Latent dimensions",
               "Dimensions of the latent code z.", low=2, high=256),
    )

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.beta = self.option_values["beta"]  # weight of the KL term (1 = the plain VAE)
        self.latent_dim = self.option_values["latent_dim"]  # dimensions of z
        self.posterior = nn.Linear(self.feature_dim, 2 * self.latent_dim)  # features -> (μ, log σ²)
        self.decoder = Decoder(self.latent_dim, self.view_size)

    def representation(self) -> nn.Module:
        """kNN and the linear probe read the posterior mean μ(x), the VAE's code for an image."""
        return PosteriorMean(self.backbone, self.posterior, self.latent_dim)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, S, S) -> (B, d) posterior means and (B, d) log-variances."""
        mu, logvar = self.posterior(self.backbone(x)).float().chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def training_loss(self, images, generator=None):
        view, = self.views(images, generator, n=1)  # (B, 3, S, S)
        mu, logvar = self.encode(view)
        eps = torch.randn(mu.shape, generator=generator).to(mu.device)
        z = mu + (0.5 * logvar).exp() * eps  # the reparameterisation trick: gradients flow through μ and σ
        loss, reconstruction, kl = elbo(self.decoder(z), view, mu, logvar, self.beta)
        return loss, {"reconstruction": reconstruction.item(), "kl": kl.item()}

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Rows for the lab: the original and its decoded posterior mean; (B, 3, S, S) in [0, 1]."""
        mu, _ = self.encode(x)
        return {"original": denormalize(x).clamp(0, 1), "reconstruction": self._draw(mu)}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, 3, S, S) in [0, 1]: decoded draws from the prior N(0, I)."""
        device = next(self.decoder.parameters()).device
        return self._draw(torch.randn(n, self.latent_dim, generator=generator).to(device))

    @torch.no_grad()
    def traverse(self, x: torch.Tensor, dims: int = 8, steps: int = 7, span: float = 3.0
                 ) -> tuple[torch.Tensor, list[int]]:
        """A latent traversal of the first image of x: (dims, steps, 3, S, S) in [0, 1] and the dimensions shown.

        Row r starts from the image's posterior mean and sets one latent dimension to each of ``steps``
        values from −span to +span (prior standard deviations); the other dimensions stay put. Rows are
        the dimensions that carry the most information (largest average KL over the batch x), first.
        """
        mu, logvar = self.encode(x)
        per_dim_kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).mean(0)  # (d,)
        order = per_dim_kl.argsort(descending=True)[:dims].tolist()
        values = torch.linspace(-span, span, steps, device=mu.device)
        rows = []
        for d in order:
            z = mu[:1].repeat(steps, 1)  # (steps, d)
            z[:, d] = values
            rows.append(self._draw(z))
        return torch.stack(rows), order

    def _draw(self, z: torch.Tensor) -> torch.Tensor:
        return denormalize(self.decoder(z).float()).clamp(0, 1)


class PosteriorMean(nn.Module):
    """(B, 3, S, S) -> (B, d): the posterior mean of a VAE's encoder (a view of its modules, not a copy)."""

    def __init__(self, backbone: nn.Module, posterior: nn.Linear, latent_dim: int):
        super().__init__()
        self.backbone, self.posterior, self.feature_dim = backbone, posterior, latent_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(self.backbone(x))[:, :self.feature_dim]
