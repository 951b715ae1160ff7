"""Retrieval metrics on a held-out split: every image queries all the others.

- Precision@1: the share of queries whose nearest neighbour has the query's class.
- Recall@K (Song et al. 2016, https://arxiv.org/abs/1511.06452): the share of queries with at
  least one same-class image among their K nearest neighbours (so Recall@1 = Precision@1).
- MAP@R (Musgrave et al. 2020, "A Metric Learning Reality Check", https://arxiv.org/abs/2003.08505):
  with R the number of other images of the query's class,
  ``MAP@R = 1/R Σ_{i=1..R} P(i)·[i-th neighbour is correct]``, P(i) the precision at i.
  It rewards ranking *all* same-class images first, not only one.

Neighbours by cosine similarity of the embeddings (the query itself excluded).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def neighbour_ranks(embeddings: torch.Tensor, max_k: int, chunk: int = 1024) -> torch.Tensor:
    """Indices (N, max_k) of each row's nearest other rows by cosine similarity, nearest first."""
    z = F.normalize(embeddings.float(), dim=1)
    out = []
    for start in range(0, len(z), chunk):
        sim = z[start:start + chunk] @ z.T  # (q, N)
        rows = torch.arange(len(sim))
        sim[rows, rows + start] = -float("inf")  # never retrieve the query itself
        out.append(sim.topk(max_k, dim=1).indices)
    return torch.cat(out)


def retrieval_metrics(embeddings: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5, 10)
                      ) -> dict[str, float]:
    """{precision_at_1, recall_at_K for K in ks, map_at_r} of embeddings (N, D) with labels (N,)."""
    n = len(labels)
    if n < 2:
        raise ValueError("retrieval metrics need at least two images")
    labels = labels.cpu()
    counts = torch.bincount(labels)
    r = (counts[labels] - 1).clamp_min(0)  # (N,) other images of the query's class
    max_k = min(n - 1, max(max(ks), int(r.max())))
    ranks = neighbour_ranks(embeddings.cpu(), max_k)
    correct = (labels[ranks] == labels[:, None])  # (N, max_k)
    out = {"precision_at_1": correct[:, 0].float().mean().item()}
    for k in ks:
        out[f"recall_at_{k}"] = correct[:, :min(k, max_k)].any(1).float().mean().item()
    # MAP@R: precision at each correct position i <= R, averaged over R
    positions = torch.arange(1, max_k + 1).float()  # (max_k,)
    within_r = positions[None, :] <= r[:, None]  # (N, max_k)
    hits = (correct & within_r).float()
    precision_at_i = hits.cumsum(1) / positions
    has_r = r > 0
    ap = (precision_at_i * hits).sum(1)[has_r] / r[has_r].float()
    out["map_at_r"] = ap.mean().item() if has_r.any() else 0.0
    return out
