"""Gradual unfreezing (ULMFiT): unfreeze one more stage, from the top down, every N steps."""

from replearn_core.options import setting
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.strategies.base import Strategy


def unfreeze_steps(num_stages: int, total_steps: int, every: int = 0) -> list[int]:
    """The step at which each stage (input first) starts to train.

    The top stage trains from step 0, the one below from step N, the next from 2N, …, so stage i
    starts at (S − 1 − i)·N. ``every`` = 0 picks N so that the last stage is unfrozen halfway.
    >>> unfreeze_steps(3, 60)
    [30, 15, 0]
    """
    if every <= 0:
        every = max(1, (total_steps // 2) // max(1, num_stages - 1))
    return [(num_stages - 1 - i) * every for i in range(num_stages)]


class GradualUnfreezing(Strategy):
    """**Gradual unfreezing (ULMFiT).** Start with the head and the top stage training and the rest
    frozen; every N steps unfreeze the next stage down, until everything trains (Howard & Ruder
    2018, *Universal Language Model Fine-tuning*, https://arxiv.org/abs/1801.06146).

    The new, randomly initialised head first learns on top of the features, so its large early
    gradients do not wreck the pretrained lower stages ("catastrophic forgetting"); by the time a
    low stage is unfrozen the gradients reaching it are small and informative."""

    key = "gradual"
    title = "Gradual unfreezing (ULMFiT)"
    options = (setting(TransferConfig, "unfreeze_every", "gradual: steps between unfreezings (0 = automatic)",
                       "0 spreads them over the first half.", low=0, high=10_000),)

    def lowest_trainable(self, step, total_steps, num_stages, config):
        starts = unfreeze_steps(num_stages, total_steps, int(config.unfreeze_every))
        started = [i for i, s in enumerate(starts) if step >= s]
        return min(started) if started else num_stages
