"""Decoding image files safely: one reader for folder datasets, CycleGAN domains and uploaded images.

- **Decompression bombs** are refused before any pixel is decoded: a file of a few kilobytes can declare
  60,000 × 60,000 pixels (10 GB once decoded). PIL refuses more than twice ``Image.MAX_IMAGE_PIXELS``
  (89 M) at ``open`` and only warns between once and twice; here anything above ``Image.MAX_IMAGE_PIXELS``
  is refused.
- **Why a file could not be read** is named (not an image, a bomb, damaged), so a folder dataset can list the
  files it skipped and an upload widget can say what is wrong with a file.
"""

from __future__ import annotations

import numpy as np

from replearn_core.i18n import Message

SHOWN_NAMES = 5  # skipped files named in a message; the rest are counted


def open_image(source):
    """``PIL.Image.open`` that refuses a decompression bomb (more than ``Image.MAX_IMAGE_PIXELS`` pixels)."""
    from PIL import Image

    image = Image.open(source)
    width, height = image.size
    if width * height > Image.MAX_IMAGE_PIXELS:
        image.close()
        raise Image.DecompressionBombError(f"{width}×{height} pixels, over the {Image.MAX_IMAGE_PIXELS:,}-pixel limit")
    return image


def read_image(file, image_size: int) -> np.ndarray:
    """Decode any image file to an (S, S, 3) uint8 array: shorter side resized, centre-cropped."""
    from PIL import Image

    with open_image(file) as im:
        im = im.convert("RGB")
        w, h = im.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        im = im.crop((left, top, left + side, top + side))
        if side != image_size:
            im = im.resize((image_size, image_size), Image.BICUBIC)
        return np.asarray(im, dtype=np.uint8)


def read_full_image(file) -> np.ndarray:
    """Decode any image file to an (H, W, 3) uint8 array at its own size."""
    with open_image(file) as im:
        return np.asarray(im.convert("RGB"))


def unreadable_reason(exc: BaseException) -> Message:
    """Why an image file could not be decoded, in a few words for a message (English, and in the catalogue)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, Image.DecompressionBombError):
        return Message("img.bomb", detail=str(exc))
    if isinstance(exc, UnidentifiedImageError):
        return Message("img.not_image")
    return Message("img.damaged", detail=str(exc))


def unreadable_upload(name: str, exc: BaseException) -> ValueError:
    """The error an upload widget shows for a file that is not an image it can read, and why."""
    return ValueError(Message("img.unreadable_upload", name=name, reason=unreadable_reason(exc)))


def skipped_note(skipped: list[tuple[str, Message]], where: str = "") -> Message:
    """One message for the files a loader skipped: their count, and the first few with the reason.

    skipped: (file name, reason) pairs, e.g. from :func:`unreadable_reason`.
    """
    shown = [Message("img.skipped_item", name=name, reason=reason) for name, reason in skipped[:SHOWN_NAMES]]
    if len(skipped) > SHOWN_NAMES:
        shown.append(Message("img.skipped_more", n=len(skipped) - SHOWN_NAMES))
    return Message("img.skipped", where=where, n=len(skipped), shown=shown)
