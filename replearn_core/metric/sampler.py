"""A class-balanced batch sampler: P classes × m images per class in every batch.

Losses that compare images within a batch need positives there: a random batch
of 64 CIFAR images holds few same-class pairs, a balanced one holds P·m·(m-1).
(The "PK sampling" of Hermans et al. 2017, https://arxiv.org/abs/1703.07737.)

>>> sampler = ClassBalancedSampler(labels, m_per_class=8, batch_size=64, seed=0)
>>> for idx in sampler: ...   # idx: (P·m,) indices into the dataset
"""

from __future__ import annotations

import torch


class ClassBalancedSampler:
    """Yields index batches of P = min(classes, batch_size // m) classes with m images each.

    When there are fewer classes than batch_size // m, m grows so that a batch
    still holds about batch_size images. Classes with fewer than m images are
    drawn with replacement. One pass yields len(labels) // batch_size batches.
    """

    def __init__(self, labels: torch.Tensor, m_per_class: int = 8, batch_size: int = 64, seed: int = 0):
        self.labels = labels.cpu()
        self.m_per_class = m_per_class
        self.batch_size = batch_size
        self.seed = seed
        classes = self.labels.unique()
        self.by_class = [(self.labels == c).nonzero().flatten() for c in classes]
        if len(self.by_class) < 2:
            raise ValueError("a class-balanced batch needs at least two classes")
        if m_per_class < 2:
            raise ValueError("m_per_class must be at least 2 (an image needs a positive in its batch)")
        self.classes_per_batch = max(2, min(len(self.by_class), batch_size // m_per_class))
        self.m = max(m_per_class, batch_size // self.classes_per_batch)
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def batch_images(self) -> int:
        return self.classes_per_batch * self.m

    def __len__(self) -> int:
        return max(1, len(self.labels) // self.batch_images)

    def __iter__(self):
        g = self.generator
        for _ in range(len(self)):
            chosen = torch.randperm(len(self.by_class), generator=g)[:self.classes_per_batch]
            parts = []
            for c in chosen.tolist():
                pool = self.by_class[c]
                if len(pool) >= self.m:
                    parts.append(pool[torch.randperm(len(pool), generator=g)[:self.m]])
                else:
                    parts.append(pool[torch.randint(len(pool), (self.m,), generator=g)])
            yield torch.cat(parts)  # (P·m,)
