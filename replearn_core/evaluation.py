"""How good, and how healthy, is a representation? Measured on features, without labels in training.

- kNN accuracy (Wu et al. 2018, the protocol of most SSL papers): each held-out image takes the
  similarity-weighted vote of its k nearest training images, weights exp(cos / 0.07). The one
  definition of "kNN accuracy" in replearn: the trainer, the metric-learning job, the feature maps
  and the benchmarks all call :func:`knn_accuracy` with held-out images scored against a bank of
  training images, k = 20.
- Linear probe (the linear evaluation of SSL papers, e.g. SimCLR, Chen et al. 2020): a logistic
  regression fitted on the training features, its accuracy on the held-out ones.
- Collapse meter (SimSiam, Chen & He 2020): the standard deviation of l2-normalised features,
  averaged over dimensions. About 1/sqrt(d) when features spread over the sphere, 0 when collapsed.
- Effective rank (RankMe, Garrido et al. 2023): exp of the entropy of the normalised singular
  values; how many dimensions the features really use.
- Alignment and uniformity (Wang & Isola 2020): mean squared distance between the two views of an
  image (lower is better) and log of the mean Gaussian potential between images (lower = more uniform).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F


def knn_accuracy(train_features, train_labels, test_features, test_labels, k: int = 20,
                 temperature: float = 0.07, num_classes: int | None = None, exclude_self: bool = False) -> float:
    """Accuracy of the similarity-weighted kNN classifier on cosine similarity (Wu et al. 2018,
    https://arxiv.org/abs/1805.01978).

    Each test feature q finds the k training features most cosine-similar to it, s_1 ≥ … ≥ s_k, and
    votes for class c with weight Σ_{i ≤ k, y_i = c} exp(s_i / temperature); its prediction is the
    heaviest class. A small temperature lets the closest neighbours dominate the vote.

    train_features (N, D) and train_labels (N,) are the bank (training images), test_features (M, D)
    and test_labels (M,) the held-out images; tensors or arrays. exclude_self: the test rows are the
    bank's own rows in the same order (leave-one-out), so each skips itself.

    >>> knn_accuracy(bank_features, bank_labels, heldout_features, heldout_labels, k=20)
    """
    train_features, test_features = torch.as_tensor(train_features), torch.as_tensor(test_features)
    train_labels, test_labels = torch.as_tensor(train_labels).long(), torch.as_tensor(test_labels).long()
    if len(train_features) == 0 or len(test_features) == 0:
        raise ValueError("kNN needs at least one training and one test feature")
    num_classes = num_classes or int(max(train_labels.max(), test_labels.max())) + 1
    bank = F.normalize(train_features.float(), dim=1)
    k = min(k, len(bank) - (1 if exclude_self else 0))
    correct = 0
    for start in range(0, len(test_features), 1024):
        query = F.normalize(test_features[start:start + 1024].float(), dim=1)
        top_sim, top_idx = nearest_by_cosine(bank, query, k, normalised=True,
                                             exclude=range(start, start + len(query)) if exclude_self else None)
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(len(query), num_classes, device=query.device)
        votes.scatter_add_(1, train_labels[top_idx].to(query.device), weights)  # (q, C)
        correct += (votes.argmax(1).cpu() == test_labels[start:start + len(query)].cpu()).sum().item()
    return correct / len(test_features)


def nearest_by_cosine(bank, query, k: int, exclude=None, normalised: bool = False):
    """The k most cosine-similar bank rows of each query row: (similarities (q, k), indices (q, k)), most
    similar first. The one neighbour search of kNN in replearn: :func:`knn_accuracy` votes with it, and the
    feature maps show a point's neighbours with it (``replearn_core.projection.explore.point_neighbours``).

    bank (N, D), query (q, D); tensors or arrays. exclude: for each query row, one bank row it may not pick
    (its own, in leave-one-out), or None. normalised: the rows are l2-normalised already.
    """
    bank, query = torch.as_tensor(bank).float(), torch.as_tensor(query).float()
    if not normalised:
        bank, query = F.normalize(bank, dim=1), F.normalize(query, dim=1)
    sim = query @ bank.T  # (q, N) cosine similarities
    if exclude is not None:
        sim[torch.arange(len(query)), torch.as_tensor(list(exclude), dtype=torch.long)] = -float("inf")
    return sim.topk(k, dim=1)  # (q, k) each


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels) -> float:
    """Accuracy on the test features of a logistic regression fitted on the training features.

    The features are standardised with the training mean and standard deviation, then scikit-learn's
    multinomial logistic regression minimises Σ_i CE(softmax(W x_i + b), y_i) + ||W||² / (2C), C = 1,
    by L-BFGS for at most 1,000 iterations (a fixed budget: no learning rate, no epochs, no seed; the
    same features always give the same accuracy). When the training labels hold one class, every
    prediction is that class.

    train_features (N, D), train_labels (N,), test_features (M, D), test_labels (M,); tensors or arrays.

    >>> linear_probe_accuracy(bank_features, bank_labels, heldout_features, heldout_labels)
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    x_train, x_test = _as_numpy(train_features, np.float64), _as_numpy(test_features, np.float64)
    y_train, y_test = _as_numpy(train_labels, np.int64), _as_numpy(test_labels, np.int64)
    if len(x_train) == 0 or len(x_test) == 0:
        raise ValueError("a linear probe needs at least one training and one test feature")
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError("features and labels must have the same number of rows")
    classes = np.unique(y_train)
    if len(classes) == 1:
        return float((y_test == classes[0]).mean())
    scaler = StandardScaler().fit(x_train)
    # one BLAS thread: bit-for-bit repeatable, and on a busy CPU many times faster (no spin-waiting threads)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the iteration budget is part of the definition
        classifier = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(x_train), y_train)
        predicted = classifier.predict(scaler.transform(x_test))
    return float((predicted == y_test).mean())


def _as_numpy(values, dtype) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype)


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
