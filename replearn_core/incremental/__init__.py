"""Incremental (continual) learning: learn a dataset's classes task after task, watch the old ones be forgotten,
and try the remedies.

A dataset's classes are split into tasks (:mod:`.tasks`; digits: five tasks of two digits, split MNIST's
layout); a model learns them one after another under a scenario (:mod:`.scenarios`: task- or
class-incremental) with a strategy (:data:`STRATEGIES`: sequential, joint, replay, LwF, EWC, one file each
with its card), and after each task is tested on every task so far: the accuracy matrix, average accuracy,
forgetting and backward transfer (:mod:`.metrics`). A comparison is job kind ``"incremental"``
(:func:`replearn_core.incremental.job.run_incremental`); ``python -m replearn_core incremental`` runs one in
the foreground.
"""

from replearn_core.incremental.config import SETTINGS, IncrementalConfig
from replearn_core.incremental.scenarios import SCENARIOS
from replearn_core.incremental.strategies import STRATEGIES

__all__ = ["SCENARIOS", "SETTINGS", "STRATEGIES", "IncrementalConfig"]
