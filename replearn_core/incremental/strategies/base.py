"""What an incremental-learning strategy decides, and the hooks the one training loop calls.

The job trains the tasks one after another; for each task it asks the strategy

- ``begin_task(learner, t)``: get ready (LwF keeps a frozen copy of the model as it was);
- ``training_data(learner, t)``: the images to train on (the task's own; joint: every task so far);
- ``loss(learner, batch, t)``: the loss of one batch, and the extra curves to log;
- ``end_task(learner, t)``: keep what later tasks need (replay's memory, EWC's Fisher and anchor).

A strategy keeps nothing on itself: what it carries from task to task lives in ``learner.state``, so one
instance serves every run. Its own settings are fields of the run's
:class:`~replearn_core.incremental.config.IncrementalConfig`, declared in ``options`` for the page and the
command line.
"""

from __future__ import annotations

import inspect

import torch

from replearn_core.cards import Card
from replearn_core.options import Option


class Strategy:
    key: str = ""  # the name used on the command line
    title: str = ""  # the name shown on the page
    paper: str = ""  # where it comes from
    formula: str = ""  # LaTeX of its loss on task t
    options: tuple[Option, ...] = ()  # the run settings (IncrementalConfig fields) it reads

    def begin_task(self, learner, task: int) -> None:
        pass

    def training_data(self, learner, task: int):
        return learner.train[task]

    def loss(self, learner, batch, task: int) -> tuple[torch.Tensor, dict]:
        return learner.cross_entropy(batch, task), {}

    def end_task(self, learner, task: int) -> None:
        pass

    def card(self) -> Card:
        """Its card for the page: name, what it does (its class docstring), its loss, its paper, its settings."""
        return Card(f"inc_strategy.{self.key}", self.title, self.explanation(), self.formula, self.paper,
                    options=self.options)

    def explanation(self) -> str:
        return inspect.getdoc(type(self)) or ""
