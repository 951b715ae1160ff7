"""The network of an incremental run and what the strategies see of it while it learns.

:class:`IncrementalNet` is an encoder (any backbone of the lab, random or from a finished run) and one linear
output unit per class of the task split: the class-incremental scenario masks the units of tasks not met yet
(a head that grows task by task), the task-incremental one keeps only the image's own task's units.

:class:`Learner` holds the network with the split, the scenario, the device and the data of every task, and
gives the strategies the few operations they combine (logits, the scenario's masks, the cross-entropy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from replearn_core.augment import plain
from replearn_core.incremental.losses import masked_cross_entropy, masked_logits
from replearn_core.incremental.scenarios import active_mask
from replearn_core.incremental.tasks import TaskSplit


class IncrementalNet(nn.Module):
    """logits = W · f(x) + b over every class of the split; f a backbone (B, 3, H, W) -> (B, d)."""

    def __init__(self, backbone: nn.Module, n_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.feature_dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)  # (B, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))  # (B, C)


@dataclass
class TaskData:
    """Images of one task (or several) on the device: uint8 images (N, 3, H, W), output units (N,), tasks (N,)."""
    images: torch.Tensor
    units: torch.Tensor
    tasks: torch.Tensor

    def __len__(self) -> int:
        return len(self.units)

    def subset(self, index: torch.Tensor) -> "TaskData":
        return TaskData(self.images[index], self.units[index], self.tasks[index])

    @staticmethod
    def concat(parts: list["TaskData"]) -> "TaskData":
        return TaskData(torch.cat([p.images for p in parts]), torch.cat([p.units for p in parts]),
                        torch.cat([p.tasks for p in parts]))


@dataclass
class Learner:
    """One strategy's training under one scenario: the network, the split, the tasks' data, the seeded generator."""
    net: IncrementalNet
    split: TaskSplit
    scenario: str
    config: object  # the run's IncrementalConfig (the strategies read their own settings from it)
    device: torch.device
    train: list[TaskData]  # per task, its training images
    generator: torch.Generator
    state: dict = field(default_factory=dict)  # what a strategy keeps between tasks (memory, Fisher, old model)

    def logits(self, images: torch.Tensor, net: nn.Module | None = None) -> torch.Tensor:
        """Logits (B, C) of uint8 images (B, 3, H, W) under ``net`` (default: the learner's)."""
        return (net or self.net)(plain(images))

    def mask(self, tasks: torch.Tensor, current: int) -> torch.Tensor:
        """The scenario's active units (B, C) for images of ``tasks`` (B,) while training task ``current``."""
        return active_mask(self.scenario, self.split, tasks, current)

    def cross_entropy(self, batch: TaskData, current: int, logits: torch.Tensor | None = None) -> torch.Tensor:
        """The scenario's cross-entropy of a batch while training task ``current``."""
        logits = self.logits(batch.images) if logits is None else logits
        return masked_cross_entropy(logits, batch.units, self.mask(batch.tasks, current))

    @torch.no_grad()
    def accuracy(self, data: TaskData, seen_until: int, chunk: int = 512) -> float:
        """Test accuracy on images of one task after training task ``seen_until``: the prediction is the
        best active unit (class-incremental: among every class seen; task-incremental: the task's own)."""
        was_training = self.net.training
        self.net.eval()
        correct = 0
        for i in range(0, len(data), chunk):
            part = data.subset(torch.arange(i, min(i + chunk, len(data)), device=data.units.device))
            logits = masked_logits(self.logits(part.images), self.mask(part.tasks, seen_until))
            correct += int((logits.argmax(1) == part.units).sum())
        self.net.train(was_training)
        return correct / max(len(data), 1)
