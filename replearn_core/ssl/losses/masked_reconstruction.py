import torch


def masked_reconstruction(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor,
                          normalize_target: bool = False) -> torch.Tensor:
    r"""MAE's loss: mean squared error over the masked patches only.

    - [0] Masked Autoencoders Are Scalable Vision Learners, He et al. 2022, https://arxiv.org/abs/2111.06377

    .. math::
        \mathcal{L} = \frac{1}{|M|}\sum_{(b, t) \in M} \frac{1}{P}\lVert \hat x_{b,t} - \tilde x_{b,t}\rVert_2^2,
        \qquad \tilde x_{b,t} = \frac{x_{b,t} - \mu_{b,t}}{\sqrt{\sigma^2_{b,t} + 10^{-6}}}\ \text{(optional)}

    M is the set of masked patches. The visible patches are left out of the loss: copying what the encoder
    was shown teaches nothing. With ``normalize_target`` each target patch is standardised over its own
    pixels (mean μ and variance σ² of its P values), the paper's "normalised pixels" variant, which
    spends the decoder's effort on local structure rather than on each patch's average colour.

    Args:
        prediction: (B, T, P) the decoder's pixels for each of T patches of P = patch² · 3 values.
        target: (B, T, P) the true patches, in the same order.
        mask: (B, T) 1 where a patch was hidden from the encoder, 0 where it was visible.
        normalize_target: standardise each target patch first.

    Returns:
        The scalar loss; 0 when every masked patch is predicted exactly.
    """
    if prediction.shape != target.shape or mask.shape != prediction.shape[:2]:
        raise ValueError(f"prediction and target must be (B, T, P) and mask (B, T); got {tuple(prediction.shape)}, "
                         f"{tuple(target.shape)} and {tuple(mask.shape)}")
    target = target.float()
    if normalize_target:
        mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True, unbiased=False)
        target = (target - mean) / (var + 1e-6).sqrt()
    per_patch = (prediction.float() - target).pow(2).mean(-1)  # (B, T)
    mask = mask.float()
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)
