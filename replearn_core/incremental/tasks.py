"""The task split: a dataset's classes cut into a sequence of T tasks, in a chosen order.

Split MNIST (van de Ven & Tolias 2019) is the digits 0-9 in five tasks of two classes: (0, 1), (2, 3), ...,
(8, 9). Here any labelled dataset is split the same way: its classes in a chosen order (the dataset's own,
a seeded shuffle, or a list of class names), then cut into T consecutive groups as even as possible
(10 classes in 3 tasks: 4, 3, 3).

The model has one output unit per class of the split, numbered by *position* in that order, so task t's
classes are consecutive units and "every class seen so far" is a prefix of the outputs::

    split = split_classes(["0", "1", ..., "9"], n_tasks=5)
    split.task_classes(1)      # [2, 3]: the output units of the second task
    split.positions(labels)    # dataset labels (N,) -> output units (N,), -1 for a class left out
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from replearn_core.i18n import Message

ORDERS = ("natural", "random")  # besides a comma-separated list of class names


class TaskSplitError(ValueError):
    """A task split that cannot be made (fewer classes than tasks, an unknown class name, ...)."""


@dataclass(frozen=True)
class TaskSplit:
    class_names: tuple[str, ...]  # the dataset's class names, by dataset label
    order: tuple[int, ...]  # dataset labels in the order the tasks meet them (output unit p is class order[p])
    sizes: tuple[int, ...]  # classes per task

    @property
    def n_tasks(self) -> int:
        return len(self.sizes)

    @property
    def n_classes(self) -> int:
        """Output units of the model: every class of the split."""
        return len(self.order)

    def start(self, task: int) -> int:
        """The first output unit of a task."""
        return sum(self.sizes[:task])

    def task_classes(self, task: int) -> list[int]:
        """The output units (positions) of a task's classes."""
        return list(range(self.start(task), self.start(task) + self.sizes[task]))

    def seen_classes(self, task: int) -> list[int]:
        """The output units of every class met up to and including ``task``."""
        return list(range(self.start(task) + self.sizes[task]))

    def task_names(self, task: int) -> list[str]:
        return [self.class_names[self.order[p]] for p in self.task_classes(task)]

    def positions(self, labels: torch.Tensor) -> torch.Tensor:
        """Dataset labels (N,) to output units (N,); -1 for a class that is in no task."""
        lookup = torch.full((len(self.class_names),), -1, dtype=torch.long)
        lookup[list(self.order)] = torch.arange(len(self.order))
        return lookup[labels.long().cpu()].to(labels.device)

    def task_of(self, positions: torch.Tensor) -> torch.Tensor:
        """Output units (N,) to the index of their task (N,)."""
        bounds = torch.tensor([self.start(t) + self.sizes[t] for t in range(self.n_tasks)], device=positions.device)
        return torch.bucketize(positions, bounds, right=True)

    def describe(self) -> list[list[str]]:
        """Each task's class names, for the page and the summary."""
        return [self.task_names(t) for t in range(self.n_tasks)]


def class_order(class_names: list[str], order: str = "natural", seed: int = 0) -> list[int]:
    """The dataset labels in the order the tasks meet them: ``natural`` (the dataset's), ``random`` (shuffled by
    ``seed``) or the class names (or label numbers) comma-separated: "1,7,3,8" trains on those classes only."""
    order = (order or "natural").strip()
    if order == "natural":
        return list(range(len(class_names)))
    if order == "random":
        g = torch.Generator().manual_seed(seed)
        return torch.randperm(len(class_names), generator=g).tolist()
    by_name = {name: i for i, name in enumerate(class_names)}
    chosen = []
    for part in (p.strip() for p in order.split(",")):
        if not part:
            continue
        label = by_name.get(part)
        if label is None and part.isdigit() and int(part) < len(class_names):
            label = int(part)
        if label is None:
            raise TaskSplitError(Message("inc.unknown_class", name=part, known=", ".join(class_names[:20])))
        if label in chosen:
            raise TaskSplitError(Message("inc.class_twice", name=part))
        chosen.append(label)
    return chosen


def split_classes(class_names: list[str], n_tasks: int, order: str = "natural", seed: int = 0,
                  dataset: str = "") -> TaskSplit:
    """Cut the classes (in ``order``, see :func:`class_order`) into ``n_tasks`` consecutive groups as even as
    possible; a dataset with fewer classes than tasks is refused with a message that says so."""
    labels = class_order(list(class_names), order, seed)
    if n_tasks < 2:
        raise TaskSplitError(Message("inc.tasks_min", tasks=n_tasks))
    if len(labels) < n_tasks:
        raise TaskSplitError(Message("inc.fewer_classes", dataset=dataset or "the dataset", classes=len(labels),
                                     tasks=n_tasks))
    base, extra = divmod(len(labels), n_tasks)
    sizes = tuple(base + (1 if t < extra else 0) for t in range(n_tasks))
    return TaskSplit(tuple(class_names), tuple(labels), sizes)
