import torch
import torch.nn.functional as F


def vicreg_terms(z1: torch.Tensor, z2: torch.Tensor, gamma: float = 1.0, eps: float = 1e-4
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""VICReg's three terms, unweighted: invariance, variance and covariance (see :func:`vicreg`).

    Returns:
        (s, v, c): the mean squared error between the views, ``v(Z) + v(Z')`` and ``c(Z) + c(Z')``.
    """
    if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
        raise ValueError("z1 and z2 must both be (N, D) with N > 1")
    z1, z2 = z1.float(), z2.float()
    n, d = z1.shape
    invariance = F.mse_loss(z1, z2)
    variance = z1.new_zeros(())
    covariance = z1.new_zeros(())
    for z in (z1, z2):
        std = torch.sqrt(z.var(dim=0) + eps)  # (D,) per-dimension standard deviation over the batch
        variance = variance + F.relu(gamma - std).mean()
        centred = z - z.mean(dim=0)
        cov = centred.T @ centred / (n - 1)  # (D, D)
        covariance = covariance + (cov.pow(2).sum() - torch.diagonal(cov).pow(2).sum()) / d
    return invariance, variance, covariance


def vicreg(z1: torch.Tensor, z2: torch.Tensor, sim_weight: float = 25.0, var_weight: float = 25.0,
           cov_weight: float = 1.0, gamma: float = 1.0, eps: float = 1e-4) -> torch.Tensor:
    r"""VICReg: Variance-Invariance-Covariance Regularization of two views' embeddings.

    - [0] VICReg, Bardes, Ponce and LeCun, ICLR 2022, https://arxiv.org/abs/2105.04906 (Algorithm 1)

    With :math:`S(x, \epsilon) = \sqrt{\mathrm{Var}(x) + \epsilon}` over the batch and :math:`C(Z)` the
    covariance matrix of the embeddings (divided by N - 1),

    .. math::
        s(Z, Z') = \frac{1}{ND}\sum_b \lVert z_b - z'_b \rVert^2,\qquad
        v(Z) = \frac{1}{D}\sum_j \max\bigl(0, \gamma - S(z^j, \epsilon)\bigr),\qquad
        c(Z) = \frac{1}{D}\sum_{i \ne j} C(Z)_{ij}^2,

        L = \lambda\, s(Z, Z') + \mu\,[v(Z) + v(Z')] + \nu\,[c(Z) + c(Z')]

    The invariance term pulls the two views together; alone it collapses every image onto one point. The
    variance term (a hinge on each dimension's standard deviation, γ = 1) forbids that collapse, and the
    covariance term decorrelates the dimensions so that they do not all carry the same information. Unlike
    Barlow Twins nothing is standardised, and each view is regularised on its own.

    Args:
        z1, z2: (N, D) embeddings of two views, N > 1.
        sim_weight, var_weight, cov_weight: λ, μ and ν (the paper's 25, 25 and 1).
        gamma: the target standard deviation of each dimension; eps keeps the square root's gradient finite.

    Returns:
        The scalar loss; 0 when the views agree, every dimension's std is at least γ and no two covary.
    """
    invariance, variance, covariance = vicreg_terms(z1, z2, gamma, eps)
    return sim_weight * invariance + var_weight * variance + cov_weight * covariance
