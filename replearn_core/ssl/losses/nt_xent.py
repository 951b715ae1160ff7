import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    r"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR.

    - [0] SimCLR, Chen et al. 2020, https://arxiv.org/abs/2002.05709

    The 2N embeddings of a batch's two views are l2-normalised; each one must pick
    out its partner among the other 2N - 1 by cosine similarity:

    .. math::
        \ell_{i} = -\log \frac{\exp(\mathrm{sim}(z_i, z_{j(i)})/\tau)}
                              {\sum_{k \ne i} \exp(\mathrm{sim}(z_i, z_k)/\tau)},
        \qquad L = \frac{1}{2N} \sum_i \ell_i

    Args:
        z1, z2: (N, D) projections of the first and second view of the same N images.
        temperature: tau > 0; lower values sharpen the softmax on hard negatives.

    Returns:
        The scalar loss. Its floor is 0; for random embeddings it is about log(2N - 1).

    Example:
        >>> z1, z2 = torch.randn(8, 16), torch.randn(8, 16)
        >>> nt_xent(z1, z2, 0.5).shape
        torch.Size([])
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must both be (N, D), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]).float(), dim=1)  # (2N, D)
    logits = z @ z.T / temperature  # (2N, 2N) cosine similarities
    logits.fill_diagonal_(float("-inf"))  # an embedding is not its own candidate
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)  # partner index
    return F.cross_entropy(logits, targets)
