"""The image pool: the discriminators also learn from older generated images.

- [0] Shrivastava et al., Learning from Simulated and Unsupervised Images, 2017
- [1] CycleGAN, Zhu et al., 2017, section 4 ("a history of 50 generated images")

For each new generated image: while the pool holds fewer than ``size`` images,
store it and hand it to the discriminator. Once full, with probability ½ hand
out a random stored image instead and put the new one in its place; otherwise
hand out the new image. A ``size`` of 0 turns the pool off. This damps the
oscillation where D only ever chases G's latest mistakes.
"""

from __future__ import annotations

import torch


class ImagePool:
    def __init__(self, size: int = 50, seed: int = 0):
        self.size = size
        self.images: list[torch.Tensor] = []  # each (3, H, W), detached
        self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) newly generated -> (B, 3, H, W) for the discriminator, partly from the history."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(1, generator=self._generator).item() < 0.5:
                index = int(torch.randint(0, self.size, (1,), generator=self._generator))
                out.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)
