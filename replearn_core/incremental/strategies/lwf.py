"""Learning without Forgetting: distil the old model's outputs on the new images."""

from __future__ import annotations

import copy

import torch

from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.losses import distillation
from replearn_core.incremental.strategies.base import Strategy
from replearn_core.options import setting


def old_groups(learner, task: int) -> list[list[int]]:
    """The old model's output groups to keep: every class of the earlier tasks as one group (class-incremental),
    or each earlier task's head on its own (task-incremental)."""
    if task == 0:
        return []
    if learner.scenario == "class":
        return [learner.split.seen_classes(task - 1)]
    return [learner.split.task_classes(k) for k in range(task)]


class LwF(Strategy):
    """**LwF (Learning without Forgetting).** Before a new task, freeze a copy of the model. While learning
    the task, also ask the model to give the new images the same (softened) outputs on the old heads as the
    frozen copy does: knowledge distillation, with no old images stored. Works well when the task is given
    (task-incremental); with one growing head the old outputs on new images say little about the old classes,
    and LwF forgets nearly as much as sequential training."""

    key = "lwf"
    title = "LwF (Learning without Forgetting)"
    paper = "Li & Hoiem 2016, Learning without Forgetting, https://arxiv.org/abs/1606.09282"
    formula = (r"\mathcal{L}_t = \mathcal{L}_{CE}(D_t) + w\,T^2\,\mathrm{KL}\big(\sigma(z_{old}/T)\,\|\,"
               r"\sigma(z/T)\big)_{\text{old heads}}")
    options = (setting(IncrementalConfig, "lwf_weight", "LwF: distillation weight w",
                       "Weight of keeping the old heads' outputs beside learning the new task.",
                       low=0.0, high=20.0, step=0.5),
               setting(IncrementalConfig, "lwf_temperature", "LwF: temperature T",
                       "Softens both models' outputs before comparing them; 2 in the paper.",
                       low=0.5, high=10.0, step=0.5))

    def begin_task(self, learner, task: int) -> None:
        if task == 0:
            return
        teacher = copy.deepcopy(learner.net).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        learner.state["teacher"] = teacher

    def loss(self, learner, batch, task: int):
        logits = learner.logits(batch.images)
        new = learner.cross_entropy(batch, task, logits)
        groups = old_groups(learner, task)
        if not groups:
            return new, {}
        with torch.no_grad():
            old = learner.logits(batch.images, learner.state["teacher"])
        kept = distillation(logits, old, groups, float(learner.config.lwf_temperature))
        return new + float(learner.config.lwf_weight) * kept, {"distillation": kept}
