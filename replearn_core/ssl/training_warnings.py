"""Warnings a self-supervised run gives its user: what went wrong without failing, and what to try.

A run that finishes is not always a run that learned. These checks read the run's settings and its logged
curves (the same ``{key: (steps, values)}`` the store returns) and return sentences (catalogue
:class:`~replearn_core.i18n.Message` objects: English strings that pages show in their own language), recorded
on the run with :meth:`RunContext.warn`; the lab and the Runs page show them beside the run, the command line
prints them.

- **Collapse** (SimSiam, Chen & He 2020; RankMe, Garrido et al. 2023): at the end of the run the collapse
  meter (std of the l2-normalised embeddings, about 1/√d when they spread over the sphere) is below
  ``COLLAPSE_FRACTION`` of 1/√d, or the effective rank of the features is below ``MIN_EFFECTIVE_RANK``:
  every image maps to nearly the same point, or to a handful of directions.
- **kNN fell**: the held-out kNN accuracy ended ``KNN_DROP`` or more below its best epoch.
- **The loss did not fall**: the loss over the last tenth of the steps is no lower than it was at its highest
  in the first half (medians over tenths of the steps; the highest, because MoCo's loss first rises while
  its queue of negatives fills with real keys).
"""

from __future__ import annotations

import math
from statistics import median

from replearn_core.i18n import Message

COLLAPSE_FRACTION = 0.1  # healthy default runs end at 0.4-1.0 of 1/sqrt(d); SimSiam without stop-gradient near 0
MIN_EFFECTIVE_RANK = 5.0  # features using fewer dimensions than this cannot separate the 10 classes of shapes
KNN_DROP = 0.05  # final kNN accuracy this far below the best epoch's
MIN_LOSS_STEPS = 20  # fewer logged steps say too little about a trend
LOSS_PROGRESS = 0.02  # the last tenth's median loss must be at least 2 % (of |peak|) below the first half's peak


def settings_warnings(config, train_images: int) -> list[str]:
    """Settings the run had to change to run at all (a batch larger than the training set)."""
    if config.batch_size > train_images:
        return [Message("warn.batch_too_large", batch=config.batch_size, n=train_images)]
    return []


def representation_warnings(metrics: dict[str, tuple[list[int], list[float]]], config) -> list[str]:
    """Warnings from a finished run's curves: collapse, a kNN accuracy that fell, a loss that did not fall."""
    collapse = _collapse(metrics, config)
    warnings = [collapse] if collapse else []
    warnings += _knn_fell(metrics)
    if not collapse:  # a collapsed run's flat loss has the same cause; one warning says it
        warnings += _loss_flat(metrics, config)
    return warnings


def _last(metrics, key: str) -> float | None:
    values = [v for v in metrics.get(key, ((), ()))[1] if math.isfinite(v)]
    return values[-1] if values else None


def _collapse(metrics, config) -> str | None:
    std, ref, rank = _last(metrics, "collapse_std"), _last(metrics, "collapse_ref"), _last(metrics, "effective_rank")
    low_spread = std is not None and ref and std < COLLAPSE_FRACTION * ref
    low_rank = rank is not None and rank < MIN_EFFECTIVE_RANK
    if not (low_spread or low_rank):
        return None
    if std is not None and ref and rank is not None:
        measured = Message("warn.collapse_measured_both", std=std, ref=ref, rank=rank)
    elif std is not None and ref:
        measured = Message("warn.collapse_measured_meter", std=std, ref=ref)
    else:
        measured = Message("warn.collapse_measured_rank", rank=rank)
    if config.method == "simsiam" and config.options.get("stop_gradient") is False:
        advice = Message("warn.collapse_advice_simsiam")
    else:
        advice = Message("warn.collapse_advice", lr=config.lr)
    return Message("warn.collapse", measured=measured, advice=advice)


def _knn_fell(metrics) -> list[str]:
    steps, values = metrics.get("knn_acc", ([], []))
    scored = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
    if len(scored) < 3:
        return []
    best_step, best = max(scored, key=lambda sv: sv[1])
    final = scored[-1][1]
    if best - final < KNN_DROP:
        return []
    return [Message("warn.knn_fell", best=best, step=best_step, final=final)]


def _loss_flat(metrics, config) -> list[str]:
    values = [v for v in metrics.get("loss", ([], []))[1] if math.isfinite(v)]
    if len(values) < MIN_LOSS_STEPS:
        return []
    tenth = len(values) // 10
    medians = [median(values[i:i + tenth]) for i in range(0, 10 * tenth, tenth)]  # one per tenth of the steps
    peak, last = max(medians[:5]), medians[-1]
    if last < peak - LOSS_PROGRESS * abs(peak):
        return []
    return [Message("warn.loss_flat", peak=peak, last=last, lr=config.lr)]
