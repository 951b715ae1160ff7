import torch
import torch.nn.functional as F


def negative_cosine(p: torch.Tensor, z: torch.Tensor, stop_gradient: bool = True) -> torch.Tensor:
    r"""Negative cosine similarity between predictions and (detached) targets, SimSiam's loss.

    - [0] SimSiam, Chen & He 2020, https://arxiv.org/abs/2011.10566

    .. math:: D(p, z) = -\frac{1}{N}\sum_i \frac{p_i}{\lVert p_i \rVert_2}\cdot\frac{z_i}{\lVert z_i \rVert_2}

    SimSiam symmetrises it, ``L = D(p1, z2)/2 + D(p2, z1)/2``. The stop-gradient on z
    is what keeps the network from collapsing to a constant; ``stop_gradient=False``
    removes it so that the collapse can be shown.

    Args:
        p: (N, D) predictor outputs for one view.
        z: (N, D) projections of the other view (the targets).

    Returns:
        A scalar in [-1, 1]; -1 when every prediction points along its target.
    """
    if p.shape != z.shape:
        raise ValueError(f"p and z must have the same shape, got {tuple(p.shape)} and {tuple(z.shape)}")
    target = z.detach() if stop_gradient else z
    return -F.cosine_similarity(p.float(), target.float(), dim=-1).mean()
