"""Turn images into feature vectors with an encoder, in batches, on the fastest device."""

from __future__ import annotations

import torch
from torch import nn

from replearn_core.augment import plain
from replearn_core.device import autocast, pick_device, prepare_model, to_device_batch


@torch.no_grad()
def encode_images(encoder: nn.Module, images: torch.Tensor, device: torch.device | None = None,
                  batch_size: int = 512) -> torch.Tensor:
    """Features (N, D) float32 on the CPU for uint8 images (N, 3, H, W), no augmentation.

    The same steps, precision and memory layout as the trainer's evaluation, so a checkpoint's features
    (and the kNN accuracy on them) are the ones the run measured on the same kind of device.
    """
    device = device or pick_device()
    was_training = encoder.training
    encoder.eval()
    encoder = prepare_model(encoder, device)
    out = []
    for chunk in images.split(batch_size):
        x = plain(to_device_batch(chunk, device))
        with autocast(device, cpu_bf16=True):
            out.append(encoder(x).float().cpu())
    encoder.train(was_training)
    if not out:
        return torch.zeros(0, getattr(encoder, "feature_dim", 0))
    return torch.cat(out)
