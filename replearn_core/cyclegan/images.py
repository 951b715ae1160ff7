"""Image conversions between uint8 pictures and the generators' [-1, 1] tensors, and PNG strips."""

from __future__ import annotations

import io

import numpy as np
import torch


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, H, W) in [0, 255] -> float (B, 3, H, W) in [-1, 1] (the generators' tanh range)."""
    return images.float() / 127.5 - 1.0


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, 3, H, W) on the CPU."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)


def grid(rows: list[torch.Tensor], gap: int = 2) -> np.ndarray:
    """Rows of uint8 (N, 3, H, W) batches -> one (H', W', 3) uint8 picture with white gaps."""
    n = max(len(r) for r in rows)
    h, w = rows[0].shape[-2:]
    out = np.full((len(rows) * (h + gap) - gap, n * (w + gap) - gap, 3), 255, dtype=np.uint8)
    for i, row in enumerate(rows):
        for j, image in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = image.permute(1, 2, 0).numpy()
    return out


def png_bytes(picture: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data: bytes | str, image_size: int, name: str = "the file") -> torch.Tensor:
    """Any image file (bytes or path) -> uint8 (3, S, S), centre-cropped and resized.

    Raises ValueError with a plain message when the file is not an image, is damaged or is a decompression bomb.
    """
    from replearn_core.data.images import read_image, unreadable_upload

    source = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    try:
        array = read_image(source, image_size)  # (S, S, 3)
    except Exception as exc:  # noqa: BLE001 - whatever PIL raises, the user gets the reason
        raise unreadable_upload(name, exc) from exc
    return torch.from_numpy(np.array(array)).permute(2, 0, 1).contiguous()
