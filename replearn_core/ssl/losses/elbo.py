import torch


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""KL divergence of a diagonal Gaussian posterior from the standard normal prior, per image.

    .. math:: \mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2)\,\Vert\,\mathcal{N}(0, 1)\big)
              = \tfrac12 \sum_j \big(\mu_j^2 + \sigma_j^2 - \log \sigma_j^2 - 1\big)

    Args:
        mu, logvar: (B, d) posterior means and log-variances.

    Returns:
        (B,) the KL of each image's posterior, in nats.
    """
    return 0.5 * (mu.float().pow(2) + logvar.float().exp() - logvar.float() - 1).sum(-1)


def elbo(reconstruction: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
         beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The negative evidence lower bound of a VAE, with β weighting the KL term (β-VAE).

    - [0] Auto-Encoding Variational Bayes, Kingma & Welling 2014, https://arxiv.org/abs/1312.6114
    - [1] β-VAE, Higgins et al. 2017, https://openreview.net/forum?id=Sy2fzU9gl

    .. math::
        \mathcal{L} = \frac{1}{B}\sum_b \Big(\tfrac12\lVert \hat x_b - x_b\rVert_2^2
        + \beta\, \mathrm{KL}\big(q(z \mid x_b)\,\Vert\,\mathcal{N}(0, I)\big)\Big)

    The first term is the negative log-likelihood of a Gaussian decoder with unit variance (up to a
    constant), summed over pixels; the second pulls each posterior towards the prior. β = 1 is the plain
    VAE; β > 1 trades reconstruction for a more factorised latent code, where one latent dimension tends to
    move one property of the image (what the latent traversal shows).

    Args:
        reconstruction, target: (B, C, H, W) decoded images and the images they should be.
        mu, logvar: (B, d) the encoder's posterior means and log-variances.
        beta: weight of the KL term.

    Returns:
        (loss, reconstruction term, KL term): scalars, each averaged over the batch.
    """
    if reconstruction.shape != target.shape or mu.shape != logvar.shape:
        raise ValueError("reconstruction and target, and mu and logvar, must have the same shapes")
    reconstruction_term = 0.5 * (reconstruction.float() - target.float()).pow(2).flatten(1).sum(1).mean()
    kl = gaussian_kl(mu, logvar).mean()
    return reconstruction_term + beta * kl, reconstruction_term, kl
