"""Pick the fastest device present and the settings that go with it.

CUDA first (with mixed precision and channels_last), then Apple's MPS, then the
CPU. ``REPLEARN_DEVICE`` forces one (``cpu``, ``cuda``, ``cuda:1``, ``mps``).
"""

from __future__ import annotations

import contextlib
import os

import torch


def pick_device(preferred: str | None = None) -> torch.device:
    """The device runs should use: an explicit choice, else CUDA, MPS, CPU."""
    choice = preferred or os.environ.get("REPLEARN_DEVICE") or "auto"
    if choice != "auto":
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("CUDA was asked for but no CUDA device is available")
        if device.type == "mps" and not mps_available():
            raise RuntimeError("MPS was asked for but this machine has no Apple GPU")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def autocast(device: torch.device):
    """Mixed precision on CUDA (bf16 where supported, else fp16); a no-op elsewhere."""
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move a model to the device; channels_last memory layout on CUDA."""
    model = model.to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model


def to_device_batch(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move an image batch to the device, channels_last on CUDA."""
    x = x.to(device, non_blocking=True)
    if device.type == "cuda" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def describe(device: torch.device) -> str:
    """A human-readable name for the device, shown in the run table."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"
