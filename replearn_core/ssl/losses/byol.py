import torch
import torch.nn.functional as F


def byol(p1: torch.Tensor, p2: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    r"""BYOL's symmetric regression loss between online predictions and target projections.

    - [0] BYOL, Grill et al. 2020, https://arxiv.org/abs/2006.07733

    The online network's prediction of one view regresses the target network's
    projection of the other view, both l2-normalised:

    .. math:: L = \big(2 - 2\cos(p_1, z_2)\big) + \big(2 - 2\cos(p_2, z_1)\big)

    averaged over the batch. The targets come from an exponential moving average of
    the online network and are detached here.

    Args:
        p1, p2: (N, D) online predictions for view 1 and view 2.
        z1, z2: (N, D) target projections for view 1 and view 2.

    Returns:
        A scalar in [0, 8]; 0 when each prediction matches the other view's target.
    """
    for t in (p2, z1, z2):
        if t.shape != p1.shape:
            raise ValueError("p1, p2, z1 and z2 must all have the same (N, D) shape")

    def regression(p, z):
        return 2 - 2 * F.cosine_similarity(p.float(), z.detach().float(), dim=-1)

    return (regression(p1, z2) + regression(p2, z1)).mean()
