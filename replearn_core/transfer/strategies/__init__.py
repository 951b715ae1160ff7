"""The fine-tuning strategies, one file each, found by key in :data:`STRATEGIES`."""

from replearn_core.transfer.strategies.base import Strategy
from replearn_core.transfer.strategies.full import FullFineTuning
from replearn_core.transfer.strategies.gradual import GradualUnfreezing, unfreeze_steps
from replearn_core.transfer.strategies.linear import LinearProbe
from replearn_core.transfer.strategies.llrd import LayerwiseLRDecay, layer_decay_scales
from replearn_core.transfer.strategies.logreg import LogisticRegressionProbe
from replearn_core.transfer.strategies.lpft import LinearProbeThenFineTune
from replearn_core.transfer.strategies.partial import PartialFineTuning
from replearn_core.transfer.strategies.scratch import TrainFromScratch

STRATEGIES: dict[str, Strategy] = {s.key: s for s in (
    LinearProbe(), LogisticRegressionProbe(), FullFineTuning(), PartialFineTuning(), LayerwiseLRDecay(),
    GradualUnfreezing(), LinearProbeThenFineTune(), TrainFromScratch())}

__all__ = ["STRATEGIES", "Strategy", "layer_decay_scales", "unfreeze_steps"]
