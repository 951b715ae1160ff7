import torch


def barlow_twins(z1: torch.Tensor, z2: torch.Tensor, lambd: float = 5e-3) -> torch.Tensor:
    r"""Barlow Twins: make the cross-correlation of the two views' embeddings the identity.

    - [0] Barlow Twins, Zbontar et al. 2021, https://arxiv.org/abs/2103.03230

    Each feature is standardised over the batch, then

    .. math::
        C_{ij} = \frac{1}{N}\sum_b \hat z^{(1)}_{b,i}\,\hat z^{(2)}_{b,j},\qquad
        L = \sum_i (1 - C_{ii})^2 + \lambda \sum_i \sum_{j \ne i} C_{ij}^2

    The first term makes each feature invariant to the augmentation, the second
    decorrelates features so that none is redundant. Standardising makes the loss
    unchanged by an affine rescaling ``a * z + b`` (a > 0) of any feature.

    Args:
        z1, z2: (N, D) embeddings of two views, N > 1.
        lambd: weight of the off-diagonal (redundancy reduction) term.

    Returns:
        The scalar loss; 0 when C is exactly the identity.
    """
    if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
        raise ValueError("z1 and z2 must both be (N, D) with N > 1")
    n = z1.shape[0]
    z1n = (z1.float() - z1.float().mean(0)) / (z1.float().std(0, unbiased=False) + 1e-6)
    z2n = (z2.float() - z2.float().mean(0)) / (z2.float().std(0, unbiased=False) + 1e-6)
    c = z1n.T @ z2n / n  # (D, D) cross-correlation matrix of the two views
    on_diag = (torch.diagonal(c) - 1).pow(2).sum()
    off_diag = c.pow(2).sum() - torch.diagonal(c).pow(2).sum()
    return on_diag + lambd * off_diag
