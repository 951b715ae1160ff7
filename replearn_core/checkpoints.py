"""Encoder checkpoints: saved as safetensors, read back without ever unpickling.

A checkpoint artifact of a run holds the backbone's state dict under keys
``backbone.<name>`` and, in its metadata, the backbone's registry name, so any
run's encoder can be rebuilt with :func:`load_run_encoder`.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch
from torch import nn

from replearn_core.backbones import build_backbone
from replearn_core.i18n import Message
from replearn_core.runs.store import RunStore

PREFIX = "backbone."


class CheckpointError(ValueError):
    """A checkpoint could not be read or does not fit the architecture."""


def encoder_tensors(backbone: nn.Module) -> dict[str, torch.Tensor]:
    return {PREFIX + k: v for k, v in backbone.state_dict().items()}


def read_state_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict from safetensors, or from a torch file with ``weights_only=True``.

    Half-precision tensors come back as float32: shipped weights (reference runs, the bundled
    CycleGAN) are stored in float16 only to halve their size.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(Message("ckpt.missing", path=str(path)))
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        try:
            return _to_float32(load_file(str(path)))
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError(Message("ckpt.bad_safetensors", name=path.name, detail=str(exc))) from exc
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's refusal to unpickle anything but tensors and plain containers
        found = re.search(r"GLOBAL (\S+)", str(exc))
        raise CheckpointError(Message("ckpt.pickled", name=path.name,
                                      found=f" ({found.group(1)})" if found else "")) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged or truncated file, or no torch file at all
        raise CheckpointError(Message("ckpt.unreadable", name=path.name, detail=str(exc))) from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(Message("ckpt.not_state_dict", name=path.name))
    return _to_float32(state)


def _to_float32(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in state.items()}


def load_into(backbone: nn.Module, state: dict[str, torch.Tensor]) -> nn.Module:
    """Load a state dict (with or without the ``backbone.`` prefix) strictly, with a clear mismatch message."""
    if any(k.startswith(PREFIX) for k in state):
        state = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    expected = backbone.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong_shape = sorted(k for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    if missing or unexpected or wrong_shape:
        def show(keys):
            return ", ".join(keys[:8]) + (f" … ({len(keys)} in all)" if len(keys) > 8 else "") if keys else "none"
        raise CheckpointError(Message("ckpt.mismatch", missing=show(missing), unexpected=show(unexpected),
                                      shapes=show(wrong_shape)))
    backbone.load_state_dict(state)
    return backbone


def checkpoint_artifacts(store: RunStore, run_id: str):
    """A run's encoder checkpoints, oldest first."""
    return [a for a in store.artifacts(run_id, kind="checkpoint") if a.path.exists()]


def load_run_encoder(store: RunStore, run_id: str, name: str | None = None) -> tuple[nn.Module, dict]:
    """Rebuild a run's encoder from its latest checkpoint (or the one named). Returns (backbone, run config)."""
    run = store.get_run(run_id)
    checkpoints = checkpoint_artifacts(store, run_id)
    if name:
        checkpoints = [a for a in checkpoints if a.name == name]
    if not checkpoints:
        raise CheckpointError(f"run {run_id} has no stored encoder checkpoint"
                              + (f" named {name!r}" if name else "") + ".")
    artifact = checkpoints[-1]
    backbone_name = artifact.meta.get("backbone") or run.config.get("backbone", "small_cnn")
    backbone = build_backbone(backbone_name)
    load_into(backbone, read_state_file(artifact.path))
    return backbone.eval(), run.config


def untrained_encoder(backbone_name: str, seed: int = 0) -> nn.Module:
    """The randomly initialised encoder: the control every learned representation is compared with."""
    torch.manual_seed(seed)
    return build_backbone(backbone_name).eval()
