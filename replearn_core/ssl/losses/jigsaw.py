import torch
import torch.nn.functional as F


def permutation_cross_entropy(logits: torch.Tensor, permutation_index: torch.Tensor) -> torch.Tensor:
    r"""The jigsaw pretext loss: cross-entropy of the predicted permutation class.

    - [0] Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles, Noroozi & Favaro 2016,
      https://arxiv.org/abs/1603.09246

    .. math:: \mathcal{L} = -\frac{1}{B}\sum_b \log
              \frac{\exp \ell_{b, \pi_b}}{\sum_{k=1}^{K} \exp \ell_{b, k}}

    Each image is cut into tiles, shuffled by permutation π_b from a fixed set of K, and the network names π_b.
    The set is chosen so that its permutations differ in as many tile positions (Hamming distance) as
    possible: near-identical permutations would make the task ambiguous rather than hard.

    Args:
        logits: (B, K) scores of the K permutations.
        permutation_index: (B,) which permutation shuffled each image, in [0, K).

    Returns:
        The scalar loss; log K for uniform guessing.
    """
    if logits.dim() != 2 or permutation_index.shape != logits.shape[:1]:
        raise ValueError(f"logits must be (B, K) and permutation_index (B,); got {tuple(logits.shape)} and "
                         f"{tuple(permutation_index.shape)}")
    return F.cross_entropy(logits.float(), permutation_index)
