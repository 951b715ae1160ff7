import torch
import torch.nn.functional as F


def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    r"""InfoNCE with a queue of negatives, as in MoCo.

    - [0] MoCo, He et al. 2019, https://arxiv.org/abs/1911.05722
    - [1] MoCo v2, Chen et al. 2020, https://arxiv.org/abs/2003.04297

    Each query must pick its own key (the momentum encoder's embedding of the other
    view) out of that key and the K negatives held in the queue:

    .. math::
        L = -\frac{1}{N}\sum_i \log
            \frac{\exp(q_i\cdot k_i/\tau)}{\exp(q_i\cdot k_i/\tau) + \sum_{j=1}^{K}\exp(q_i\cdot n_j/\tau)}

    Args:
        q: (N, D) queries from the online encoder.
        k: (N, D) keys from the momentum encoder (detached here).
        queue: (K, D) negatives, earlier keys.
        temperature: tau > 0.

    Returns:
        The scalar loss; about log(K + 1) for random embeddings.
    """
    if q.shape != k.shape or queue.dim() != 2 or queue.shape[1] != q.shape[1]:
        raise ValueError("q and k must be (N, D) and queue (K, D)")
    q = F.normalize(q.float(), dim=1)
    k = F.normalize(k.detach().float(), dim=1)
    negatives = F.normalize(queue.detach().float(), dim=1)
    positive = (q * k).sum(1, keepdim=True)  # (N, 1)
    negative = q @ negatives.T  # (N, K)
    logits = torch.cat([positive, negative], dim=1) / temperature  # (N, 1 + K), the key is class 0
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))
