"""What a self-supervised run stores beside its encoder checkpoints, and how its pictures are laid out.

A method that lists ``lab_views`` stores its whole state (decoder and heads included) as artifacts of kind
:data:`METHOD_STATE`: the job (:mod:`replearn_core.ssl.job`) writes them, the lab's views
(:mod:`replearn_core.ssl.views`) read them back and lay their pictures out with :func:`image_grid`, as does the
lab's preview of the views. This module sits below both, so that the job, which runs in a worker, imports
nothing the pages use to reach the run store on a user's behalf.
"""

from __future__ import annotations

import torch
from torch import nn

from replearn_core.runs.store import RunStore

METHOD_STATE = "method"  # the artifact kind of a stored method


def method_tensors(method: nn.Module) -> dict[str, torch.Tensor]:
    """The whole method's state (backbone, decoder, heads), to be saved as a run artifact of kind ``method``."""
    return dict(method.state_dict())


def method_states(store: RunStore, run_id: str):
    """A run's stored methods, oldest first."""
    return [a for a in store.artifacts(run_id, kind=METHOD_STATE) if a.path.exists()]


def image_grid(rows: list[torch.Tensor], scale: int = 3, pad: int = 2) -> torch.Tensor:
    """Lay out rows of uint8 (n, H, W, 3) images as one (H', W', 3) picture, enlarged for the screen."""
    n, h, w, _ = rows[0].shape
    cell_h, cell_w = h * scale + pad, w * scale + pad
    grid = torch.full((len(rows) * cell_h + pad, n * cell_w + pad, 3), 255, dtype=torch.uint8)
    for r, images in enumerate(rows):
        big = images.repeat_interleave(scale, 1).repeat_interleave(scale, 2)  # nearest-neighbour zoom
        for c in range(len(images)):
            top, left = pad + r * cell_h, pad + c * cell_w
            grid[top:top + h * scale, left:left + w * scale] = big[c]
    return grid
