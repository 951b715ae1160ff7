"""The incremental-learning strategies, one file each, found by key in :data:`STRATEGIES`."""

from replearn_core.incremental.strategies.base import Strategy
from replearn_core.incremental.strategies.ewc import EWC
from replearn_core.incremental.strategies.joint import Joint
from replearn_core.incremental.strategies.lwf import LwF
from replearn_core.incremental.strategies.replay import Replay
from replearn_core.incremental.strategies.sequential import Sequential

STRATEGIES: dict[str, Strategy] = {s.key: s for s in (Sequential(), Joint(), Replay(), LwF(), EWC())}

__all__ = ["STRATEGIES", "Strategy"]
