"""Experience replay from a class-balanced memory of M images per class."""

from __future__ import annotations

import torch

from replearn_core.i18n import Message
from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.model import TaskData
from replearn_core.incremental.strategies.base import Strategy
from replearn_core.options import setting


def class_balanced_indices(units: torch.Tensor, per_class: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of ``per_class`` images drawn at random from each class of ``units`` (N,) (all of a class's
    images when it has fewer), sorted."""
    chosen = []
    cpu_units = units.cpu()
    for unit in cpu_units.unique():
        idx = (cpu_units == unit).nonzero().flatten()
        chosen.append(idx[torch.randperm(len(idx), generator=generator)[:per_class]])
    return torch.cat(chosen).sort().values if chosen else torch.zeros(0, dtype=torch.long)


def check_memory(per_class: int, class_counts: dict[str, int]) -> None:
    """Refuse a memory of more images per class than some class has training images: the memory could not be
    class-balanced, and replay would store every image (joint training, not replay)."""
    if not class_counts:
        return
    name, fewest = min(class_counts.items(), key=lambda item: item[1])
    if per_class > fewest:
        raise ValueError(Message("inc.memory_too_large", memory=per_class, name=name, n=fewest))


class Replay(Strategy):
    """**Experience replay.** Keep M training images of every class met (a class-balanced memory, drawn at
    random when a task ends) and mix them into each batch of the next tasks. The new task's loss and the
    memory's are weighted by how many tasks each stands for (1/t and 1 − 1/t), so old classes keep appearing
    among the choices the model is trained to make. Cheap and strong in the class-incremental scenario; it
    needs to store images, which privacy or memory may forbid."""

    key = "replay"
    title = "Replay (class-balanced memory)"
    paper = "Rolnick et al. 2019, Experience Replay for Continual Learning; Chaudhry et al. 2019"
    formula = (r"\mathcal{L}_t = \tfrac{1}{t}\,\mathcal{L}_{CE}(D_t) + \big(1-\tfrac{1}{t}\big)\,"
               r"\mathcal{L}_{CE}(\mathcal{M}),\quad |\mathcal{M}| = M \cdot \#\text{classes seen}")
    options = (setting(IncrementalConfig, "memory_per_class", "replay: images kept per class (M)",
                       "Training images stored for each class seen; more is closer to joint training.",
                       low=1, high=500, step=1),)

    def loss(self, learner, batch: TaskData, task: int):
        memory: TaskData | None = learner.state.get("memory")
        if memory is None or len(memory) == 0:
            return learner.cross_entropy(batch, task), {}
        idx = torch.randint(len(memory), (len(batch),), generator=learner.generator).to(memory.units.device)
        mixed = TaskData.concat([batch, memory.subset(idx)])  # one forward: BatchNorm sees old and new together
        logits = learner.logits(mixed.images)  # (2B, C)
        new = learner.cross_entropy(batch, task, logits[:len(batch)])
        replayed = learner.cross_entropy(memory.subset(idx), task, logits[len(batch):])
        weight = 1.0 / (task + 1)
        return weight * new + (1 - weight) * replayed, {"replay_loss": replayed}

    def end_task(self, learner, task: int) -> None:
        data = learner.train[task]
        idx = class_balanced_indices(data.units, int(learner.config.memory_per_class), learner.generator)
        kept = data.subset(idx.to(data.units.device))
        memory = learner.state.get("memory")
        learner.state["memory"] = kept if memory is None else TaskData.concat([memory, kept])
