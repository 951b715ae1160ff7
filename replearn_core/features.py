"""Turn images into feature vectors with an encoder, in batches, on the fastest device."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from replearn_core.augment import plain
from replearn_core.device import autocast, pick_device, prepare_model, to_device_batch


@torch.no_grad()
def encode_images(encoder: nn.Module | Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, device: torch.device | None = None,
                  batch_size: int = 512, transform: Callable[[torch.Tensor], torch.Tensor] = plain,
                  on_device: bool = False, cpu_bf16: bool = True) -> torch.Tensor:
    """Features (N, D) float32 for uint8 images (N, 3, H, W), in eval mode, ``batch_size`` images at a time.

    The one place features are computed: the self-supervised trainer's evaluations, the feature maps, search
    by example and the transfer heads' cached features all call it, so a checkpoint's features (and the kNN
    accuracy on them) are the ones its run measured on the same kind of device.

    ``transform``: uint8 batch on the device -> normalised float batch (default: no augmentation; the trainer
    passes augmentations to measure view agreement). ``on_device``: keep the features on the device (the
    default: on the CPU). ``cpu_bf16``: bf16 autocast on a CPU that has it (the self-supervised lab's
    precision; the transfer loops train in fp32 on a CPU and read their features in fp32).
    """
    device = device or pick_device()
    # a module is put in eval mode and on the device; a plain function (a method's collapse_embedding) is the
    # caller's to prepare. Modes are restored one by one: some submodules may be frozen in eval mode.
    modes = [(m, m.training) for m in encoder.modules()] if isinstance(encoder, nn.Module) else []
    if isinstance(encoder, nn.Module):
        encoder = prepare_model(encoder.eval(), device)
    out = []
    for chunk in images.split(batch_size):
        x = transform(to_device_batch(chunk, device))
        with autocast(device, cpu_bf16=cpu_bf16):
            features = encoder(x).float()
        out.append(features if on_device else features.cpu())
    for module, training in modes:
        module.train(training)
    if not out:
        return torch.zeros(0, getattr(encoder, "feature_dim", 0), device=device if on_device else "cpu")
    return torch.cat(out)
