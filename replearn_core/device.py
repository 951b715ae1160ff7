"""Pick the fastest device present and the settings that go with it.

CUDA first (with mixed precision and channels_last), then Apple's MPS, then the
CPU. ``REPLEARN_DEVICE`` forces one (``cpu``, ``cuda``, ``cuda:1``, ``mps``).

On a CPU with native bf16 matrix units (AVX512-BF16 or AMX, as in recent Xeons) convolutions run
in bf16 under autocast and in the channels_last layout: measured 2.4× faster for the small CNN
(bench/throughput.py). Elsewhere bf16 would be emulated and slower, so the CPU stays in fp32.
``REPLEARN_CPU_BF16=0`` turns it off, ``=1`` forces it.
"""

from __future__ import annotations

import contextlib
import os
import re

import torch

from replearn_core.i18n import Message

DEVICE_NAME = re.compile(r"cpu|mps|cuda(:[0-9]{1,2})?")  # what a run's "device" may name (None = the fastest)


class DeviceError(ValueError):
    """A device a run asked for that is not a device name, or is not on this machine; the text says which."""


def check_device_name(choice) -> None:
    """Refuse what is not a device name (``tpu``, ``cuda:x``): a run configuration's check, wherever the run
    will execute (a worker elsewhere may have the GPU this machine lacks, so presence is :func:`pick_device`'s)."""
    if choice is None or choice == "auto":
        return
    if not isinstance(choice, str) or not DEVICE_NAME.fullmatch(choice):
        raise DeviceError(Message("device.unknown", name=repr(choice)[:80]))


def pick_device(preferred: str | None = None) -> torch.device:
    """The device runs should use: an explicit choice, else CUDA, MPS, CPU.

    A choice that is not a device name, or a device this machine lacks, is a :class:`DeviceError` (a
    ValueError) that says so: the command line prints it as one line."""
    choice = preferred or os.environ.get("REPLEARN_DEVICE") or "auto"
    if choice != "auto":
        check_device_name(choice)
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError(Message("device.no_cuda"))
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(Message("device.no_such_cuda", index=device.index, n=torch.cuda.device_count()))
        if device.type == "mps" and not mps_available():
            raise DeviceError(Message("device.no_mps"))
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX tiles); REPLEARN_CPU_BF16 overrides."""
    forced = os.environ.get("REPLEARN_CPU_BF16")
    if forced in ("0", "1"):
        return forced == "1"
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    try:
        return any(check() for check in checks if check is not None)
    except Exception:  # noqa: BLE001 - a torch without these probes: stay in fp32
        return False


def autocast(device: torch.device, cpu_bf16: bool = False):
    """Mixed precision: on CUDA bf16 where supported, else fp16; on a CPU with native bf16, bf16 when the
    caller asks (``cpu_bf16``: the self-supervised trainer and its feature encoding, where it was measured;
    the GAN and the other loops stay in fp32 on a CPU); a no-op elsewhere."""
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    if device.type == "cpu" and cpu_bf16 and cpu_has_fast_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def uses_channels_last(device: torch.device) -> bool:
    """channels_last pays on CUDA and on CPUs (oneDNN's convolutions prefer it); not on MPS."""
    return device.type in ("cuda", "cpu")


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move a model to the device, in the channels_last memory layout where that is faster."""
    model = model.to(device)
    if uses_channels_last(device):
        model = model.to(memory_format=torch.channels_last)
    return model


def to_device_batch(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move an image batch to the device, channels_last where that is faster."""
    x = x.to(device, non_blocking=True)
    if uses_channels_last(device) and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def describe(device: torch.device) -> str:
    """A human-readable name for the device, shown in the run table."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    precision = ", bf16" if cpu_has_fast_bf16() else ""
    return f"cpu ({torch.get_num_threads()} threads{precision})"
