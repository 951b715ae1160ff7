"""How good, and how healthy, is a representation? Measured on features, without labels in training.

- kNN accuracy (Wu et al. 2018, the protocol of most SSL papers): each held-out image takes the
  similarity-weighted vote of its k nearest training images, weights exp(cos / 0.07).
- Collapse meter (SimSiam, Chen & He 2020): the standard deviation of l2-normalised features,
  averaged over dimensions. About 1/sqrt(d) when features spread over the sphere, 0 when collapsed.
- Effective rank (RankMe, Garrido et al. 2023): exp of the entropy of the normalised singular
  values; how many dimensions the features really use.
- Alignment and uniformity (Wang & Isola 2020): mean squared distance between the two views of an
  image (lower is better) and log of the mean Gaussian potential between images (lower = more uniform).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def knn_accuracy(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                 test_labels: torch.Tensor, k: int = 20, temperature: float = 0.07,
                 num_classes: int | None = None, exclude_self: bool = False) -> float:
    """Accuracy of the similarity-weighted kNN classifier on cosine similarity."""
    if len(train_features) == 0 or len(test_features) == 0:
        raise ValueError("kNN needs at least one training and one test feature")
    num_classes = num_classes or int(max(train_labels.max(), test_labels.max())) + 1
    bank = F.normalize(train_features.float(), dim=1)
    k = min(k, len(bank) - (1 if exclude_self else 0))
    correct = 0
    for start in range(0, len(test_features), 1024):
        query = F.normalize(test_features[start:start + 1024].float(), dim=1)
        sim = query @ bank.T  # (q, N) cosine similarities
        if exclude_self:
            sim[torch.arange(len(query)), torch.arange(start, start + len(query))] = -float("inf")
        top_sim, top_idx = sim.topk(k, dim=1)  # (q, k)
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(len(query), num_classes, device=query.device)
        votes.scatter_add_(1, train_labels[top_idx].to(query.device), weights)  # (q, C)
        correct += (votes.argmax(1).cpu() == test_labels[start:start + len(query)].cpu()).sum().item()
    return correct / len(test_features)


def collapse_std(features: torch.Tensor) -> float:
    """Mean per-dimension std of the l2-normalised features: ~1/sqrt(d) healthy, ~0 collapsed."""
    z = F.normalize(features.float(), dim=1)
    return z.std(0).mean().item()


def effective_rank(features: torch.Tensor) -> float:
    """RankMe: exp(entropy of the singular-value distribution), between 1 and min(N, d)."""
    s = torch.linalg.svdvals(features.float())
    p = s / s.sum().clamp_min(1e-12) + 1e-12
    return math.exp(-(p * p.log()).sum().item())


def alignment(z1: torch.Tensor, z2: torch.Tensor) -> float:
    """E ||f(x) - f(x')||^2 over positive pairs, on normalised features (0 = perfectly invariant)."""
    return (F.normalize(z1.float(), dim=1) - F.normalize(z2.float(), dim=1)).pow(2).sum(1).mean().item()


def uniformity(z: torch.Tensor, t: float = 2.0, max_points: int = 2000) -> float:
    """log E exp(-t ||f(x) - f(y)||^2) over pairs of images (more negative = more uniform)."""
    z = F.normalize(z[:max_points].float(), dim=1)
    sq = torch.pdist(z).pow(2)
    return torch.logsumexp(-t * sq, dim=0).item() - math.log(len(sq))


def representation_report(bank_features, bank_labels, eval_features, eval_labels, view1=None, view2=None,
                          k: int = 20, num_classes: int | None = None) -> dict[str, float]:
    """All the meters at once, as the trainer logs them each epoch."""
    report = {
        "knn_acc": knn_accuracy(bank_features, bank_labels, eval_features, eval_labels, k=k,
                                num_classes=num_classes),
        "collapse_std": collapse_std(eval_features),
        "collapse_ref": 1 / math.sqrt(eval_features.shape[1]),
        "effective_rank": effective_rank(eval_features),
        "uniformity": uniformity(eval_features),
    }
    if view1 is not None and view2 is not None:
        report["alignment"] = alignment(view1, view2)
    return report
