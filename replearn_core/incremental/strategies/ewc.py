"""Elastic Weight Consolidation: a Fisher-weighted pull back towards each old task's parameters."""

from __future__ import annotations

import torch

from replearn_core.augment import plain
from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.losses import ewc_penalty, fisher_diagonal
from replearn_core.incremental.strategies.base import Strategy
from replearn_core.options import setting


class EWC(Strategy):
    """**EWC (Elastic Weight Consolidation).** When a task ends, estimate how much each parameter mattered to
    it (the diagonal of the Fisher information) and remember the parameters. Later tasks pay λ/2 · F · (θ − θ*)²
    for moving them: important weights stay, unimportant ones learn the new task. It keeps old tasks' heads
    working (task-incremental) but does not teach the model to tell old classes from new ones, so in the
    class-incremental scenario it forgets about as much as sequential training."""

    key = "ewc"
    title = "EWC (Elastic Weight Consolidation)"
    paper = "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks, " \
            "https://arxiv.org/abs/1612.00796"
    formula = (r"\mathcal{L}_t = \mathcal{L}_{CE}(D_t) + \frac{\lambda}{2}\sum_{k<t}\sum_i F_{k,i}\,"
               r"(\theta_i - \theta^*_{k,i})^2")
    options = (setting(IncrementalConfig, "ewc_lambda", "EWC: penalty weight λ",
                       "How strongly weights important to earlier tasks are held in place.", low=0.0,
                       high=1e7, format="%.0f"),
               setting(IncrementalConfig, "fisher_images", "EWC: images for the Fisher",
                       "Training images of each task its parameter importance is estimated on.", low=10,
                       high=2000, step=10))

    def loss(self, learner, batch, task: int):
        new = learner.cross_entropy(batch, task)
        anchors = learner.state.get("ewc", [])
        if not anchors:
            return new, {}
        params = {n: p for n, p in learner.net.named_parameters() if p.requires_grad}
        penalty = ewc_penalty(params, anchors)
        return new + float(learner.config.ewc_lambda) * penalty, {"ewc_penalty": penalty}

    def end_task(self, learner, task: int) -> None:
        data = learner.train[task]
        n = min(int(learner.config.fisher_images), len(data))
        idx = torch.randperm(len(data), generator=learner.generator)[:n].to(data.units.device)
        sample = data.subset(idx)
        was_training = learner.net.training
        learner.net.eval()  # per image: BatchNorm uses its running statistics
        fisher = fisher_diagonal(learner.net, plain(sample.images), sample.units, learner.mask(sample.tasks, task))
        learner.net.train(was_training)
        anchor = {n: p.detach().float().clone() for n, p in learner.net.named_parameters() if p.requires_grad}
        learner.state.setdefault("ewc", []).append((anchor, fisher))
