"""What a fine-tuning strategy decides: which backbone stages train at each step, and at what learning rate.

A backbone has S stages (``backbone.stages``, from input to output) and the
classifier head sits on top. A strategy answers two questions, and the shared
loop in :mod:`replearn_core.transfer.finetune` does the rest:

- ``lowest_trainable(step, total_steps, num_stages, config)``: the index of the
  lowest stage that trains at this step; every stage at or above it trains,
  every stage below it is frozen (``requires_grad=False``, BatchNorm statistics
  kept: the stage runs in eval mode). 0 = everything trains, S = only the head.
- ``lr_scales(num_stages, config)``: one factor per stage; a stage's learning
  rate is ``lr · scale · schedule(step)``. The head's scale is ``head_lr_scale`` (1 but for the probe).

A strategy with a setting of its own (partial's k, llrd's γ, ...) reads it from the run's
:class:`~replearn_core.transfer.config.TransferConfig` and declares it in ``options``: the page shows its
control only when the strategy is chosen.
"""

from __future__ import annotations

import inspect

from replearn_core.cards import Card
from replearn_core.options import Option


class Strategy:
    key: str = ""  # the name used on the command line
    title: str = ""  # the name shown on the page
    pretrained: bool = True  # False: start from a random initialisation instead of the encoder (the control)
    frozen_backbone: bool = False  # True: the backbone never trains, so its features are computed once
    head_lr_scale: float = 1.0  # the head's learning rate is lr times this
    # the run settings (TransferConfig fields) this strategy reads, declared for the page and the command line
    options: tuple[Option, ...] = ()

    def lowest_trainable(self, step: int, total_steps: int, num_stages: int, config) -> int:
        return 0

    def lr_scales(self, num_stages: int, config) -> list[float]:
        return [1.0] * num_stages

    def card(self) -> Card:
        """Its card for the page: name, what it does (its class docstring) and its own settings."""
        return Card(f"strategy.{self.key}", self.title, self.explanation(), options=self.options)

    def explanation(self) -> str:
        """The class docstring: the text the page shows beside the strategy."""
        return inspect.getdoc(type(self)) or ""
