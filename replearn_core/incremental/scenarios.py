"""The two scenarios of van de Ven & Tolias (2019), "Three scenarios for continual learning":

- **task-incremental**: the task is known at test time, so the model only chooses among that task's classes
  (a head per task; here the shared output layer masked to the task's units, which is the same thing: each
  task's units only ever compete with each other);
- **class-incremental**: the task is not given; one growing head chooses among every class seen so far.

A scenario is a rule for which output units are active for an image: :func:`active_mask`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from replearn_core.incremental.tasks import TaskSplit


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    summary: str


SCENARIOS: dict[str, Scenario] = {
    "class": Scenario("class", "Class-incremental",
                      "One head for every class seen so far: at test time the model is not told the task, so "
                      "digits of old tasks compete with the new ones."),
    "task": Scenario("task", "Task-incremental",
                     "The task is given at test time: the model only chooses among that task's classes (a head "
                     "per task)."),
}


def active_mask(scenario: str, split: TaskSplit, sample_tasks: torch.Tensor, seen_until: int) -> torch.Tensor:
    """(B, C) bool: the output units that take part for each image.

    ``sample_tasks`` (B,): each image's task; ``seen_until``: the last task trained so far (or now).
    class: every unit of the tasks up to ``seen_until``; task: the units of the image's own task."""
    units = torch.arange(split.n_classes, device=sample_tasks.device)
    if scenario == "class":
        seen = len(split.seen_classes(seen_until))
        return (units < seen).expand(len(sample_tasks), -1)
    if scenario == "task":
        return split.task_of(units)[None, :] == sample_tasks[:, None]
    raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
