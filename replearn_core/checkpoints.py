"""Encoder checkpoints: saved as safetensors, read back without ever unpickling.

A checkpoint artifact of a run holds the backbone's state dict under keys
``backbone.<name>`` and, in its metadata, the backbone's registry name, so any
run's encoder can be rebuilt with :func:`load_run_encoder`.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import struct
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from replearn_core.backbones import build_backbone
from replearn_core.i18n import Message

if TYPE_CHECKING:  # only named in annotations: the run store's code never needs this module's
    from replearn_core.runs.store import RunStore

PREFIX = "backbone."

# What a checkpoint may unpack to, checked from its declared sizes before anything reads it (a 1 MB upload must
# not become gigabytes in the server's memory). ResNet-18, the largest backbone, is 45 MB, its largest tensor 9 MB.
MAX_CHECKPOINT_BYTES = 512 * 2**20  # all tensors together, unpacked
MAX_PART_BYTES = 256 * 2**20  # one part of a torch zip file (one tensor's storage), unpacked
MAX_INFLATE_RATIO = 100  # torch stores its parts uncompressed (1:1); deflated weights reach ~1.1, zeros ~1000
RATIO_FROM_BYTES = 2**20  # parts smaller than this may inflate more: they cannot hurt
MAX_PARTS = 10_000  # parts of a torch zip file (one per tensor storage, plus a few)
MAX_INDEX_BYTES = 2 * 2**20  # a zip's central directory, and a safetensors header, read whole before the rest
_ZIP_MAGIC = b"PK\x03\x04"
_SAFETENSORS_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
                         "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8, "C64": 8}


class CheckpointError(ValueError):
    """A checkpoint could not be read or does not fit the architecture."""


def encoder_tensors(backbone: nn.Module) -> dict[str, torch.Tensor]:
    return {PREFIX + k: v for k, v in backbone.state_dict().items()}


def read_state_file(path: str | Path, allow_legacy: bool = False) -> dict[str, torch.Tensor]:
    """Read a state dict from safetensors, or from a torch zip file with ``weights_only=True``.

    Every file is measured first (:func:`check_checkpoint_file`): declared sizes beyond the limits, and files
    that are neither safetensors nor torch's zip format, are refused before anything is unpacked.
    ``allow_legacy`` also reads torch's pre-1.6 format (``weights_only=True`` too), for files this lab fetched
    itself from a fixed release address; never for a file a user hands in.

    Half-precision tensors come back as float32: shipped weights (reference runs, the bundled
    CycleGAN) are stored in float16 only to halve their size.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(Message("ckpt.missing", path=str(path)))
    if check_checkpoint_file(path, allow_legacy) == "safetensors":
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


def check_checkpoint_file(path: str | Path, allow_legacy: bool = False) -> str:
    """Measure a checkpoint file before it is read, from what it declares, unpacking nothing; returns its format
    (``safetensors``, ``zip`` or, with ``allow_legacy``, ``legacy``) or raises CheckpointError saying why not.

    - safetensors (by its suffix): the header must fit in the file and every tensor's shape and offsets must lie
      within the data the file holds, at most MAX_CHECKPOINT_BYTES in all;
    - torch's zip format (what ``torch.save`` writes): the zip's index (central directory) is read, never a part:
      at most MAX_PARTS parts, none unpacking to more than MAX_PART_BYTES or inflating more than
      MAX_INFLATE_RATIO times, MAX_CHECKPOINT_BYTES in all (a 1 MB zip bomb that unpacks to 1 GB is refused);
    - anything else is a bare pickle or torch's legacy format, refused: its tensors' sizes cannot be measured
      without unpickling it.
    """
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            _check_safetensors(path)
            return "safetensors"
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic == _ZIP_MAGIC:
            _check_torch_zip(path)
            return "zip"
    except OSError as exc:
        raise CheckpointError(Message("ckpt.unreadable", name=path.name, detail=str(exc))) from exc
    if allow_legacy:
        return "legacy"
    raise CheckpointError(Message("ckpt.not_zip", name=path.name))


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f}"


def _check_safetensors(path: Path) -> None:
    """An 8-byte little-endian header length, a JSON header, then the data every tensor's offsets point into."""
    size = path.stat().st_size

    def refuse(code: str, **params):
        raise CheckpointError(Message("ckpt.bad_safetensors", name=path.name, detail=Message(code, **params)))

    with open(path, "rb") as f:
        prefix = f.read(8)
        (length,) = struct.unpack("<Q", prefix) if len(prefix) == 8 else (-1,)
        if length < 2 or length > min(MAX_INDEX_BYTES, size - 8):
            refuse("ckpt.st_header", length=max(length, 0), size=size)
        try:
            header = json.loads(f.read(length))
        except ValueError:
            header = None
    if not isinstance(header, dict):
        refuse("ckpt.st_not_json")
    have = size - 8 - length
    if have > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(Message("ckpt.too_large", name=path.name, size=_mb(have),
                                      limit=_mb(MAX_CHECKPOINT_BYTES)))
    for tensor, entry in header.items():
        if tensor == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        itemsize = _SAFETENSORS_ITEMSIZE.get(entry.get("dtype")) if isinstance(entry, dict) else None
        if not (itemsize and isinstance(shape, list) and isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape + offsets)):
            refuse("ckpt.st_tensor_bad", tensor=str(tensor)[:80])
        start, stop = offsets
        if not start <= stop <= have:
            refuse("ckpt.st_tensor_outside", tensor=str(tensor)[:80], start=start, stop=stop, have=have)
        if math.prod(shape) * itemsize != stop - start:
            refuse("ckpt.st_tensor_size", tensor=str(tensor)[:80], need=math.prod(shape) * itemsize,
                   got=stop - start)


def _zip_index_size(path: Path) -> tuple[int, int]:
    """(parts, bytes) of a zip's central directory as its end record declares them (zip64 too), read from the
    file's last 64 kB: bounds what reading the index will cost before ``zipfile`` reads it."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        tail_start = max(0, size - (22 + 65_535))  # the end record, then at most a 64 kB comment
        f.seek(tail_start)
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise zipfile.BadZipFile("no end of central directory: the file is cut short or no zip")
        parts, index_bytes = struct.unpack("<HI", tail[at + 10:at + 16])
        if parts == 0xFFFF or index_bytes == 0xFFFFFFFF:  # zip64: the real counts are in the zip64 end record
            f.seek(max(0, tail_start + at - 20))
            locator = f.read(20)
            if len(locator) < 20 or locator[:4] != b"PK\x06\x07":
                raise zipfile.BadZipFile("a zip64 end record is announced but missing")
            f.seek(struct.unpack("<Q", locator[8:16])[0])
            record = f.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                raise zipfile.BadZipFile("a zip64 end record is announced but missing")
            parts, index_bytes = struct.unpack("<QQ", record[32:48])
    return parts, index_bytes


def _check_torch_zip(path: Path) -> None:
    name, size = path.name, path.stat().st_size
    try:
        parts, index_bytes = _zip_index_size(path)
        if parts > MAX_PARTS or index_bytes > MAX_INDEX_BYTES:
            raise CheckpointError(Message("ckpt.zip_too_many", name=name, n=parts, limit=MAX_PARTS))
        with zipfile.ZipFile(path) as archive:  # reads the central directory only, no part is unpacked
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, struct.error, ValueError, EOFError) as exc:
        raise CheckpointError(Message("ckpt.unreadable", name=name, detail=str(exc))) from exc
    if len(infos) > MAX_PARTS:
        raise CheckpointError(Message("ckpt.zip_too_many", name=name, n=len(infos), limit=MAX_PARTS))
    total = 0
    for info in infos:
        part = info.filename[:120]
        if info.compress_size > size:
            raise CheckpointError(Message("ckpt.zip_part_outside", name=name, part=part))
        if info.file_size > MAX_PART_BYTES:
            raise CheckpointError(Message("ckpt.zip_part_too_large", name=name, part=part,
                                          size=_mb(info.file_size), limit=_mb(MAX_PART_BYTES)))
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_INFLATE_RATIO * max(1, info.compress_size):
            raise CheckpointError(Message("ckpt.zip_ratio", name=name, part=part,
                                          ratio=f"{info.file_size / max(1, info.compress_size):,.0f}",
                                          limit=MAX_INFLATE_RATIO))
        total += info.file_size
    if total > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(Message("ckpt.too_large", name=name, size=_mb(total), limit=_mb(MAX_CHECKPOINT_BYTES)))


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


def load_encoder_file(path: str | Path, backbone: str) -> nn.Module:
    """A checkpoint file (checked before it is read, never unpickled) loaded into a fresh ``backbone``; a
    CheckpointError names the file, the backbone and what does not fit."""
    path = Path(path)
    model = build_backbone(backbone)
    try:
        load_into(model, read_state_file(path))
    except CheckpointError as exc:
        raise CheckpointError(f"{path.name} as {backbone}: {exc}") from exc
    return model


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
