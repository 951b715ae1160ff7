"""Hostile and broken files for the bad-input tests, made in memory (a few hundred bytes each)."""

import io
import struct
import zlib

NOT_AN_IMAGE = b"Dear class, the lab opens at nine.\n"  # a text file, whatever its name says


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG that declares width × height pixels with a tiny compressed body: a decompression bomb.

    60,000 × 60,000 RGB would take 10.8 GB once decoded; the file is under 1 kB.
    """
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 4, 9)  # four black rows of the declared width
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def png(size: tuple[int, int] = (40, 30), color=(200, 40, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def truncated_png() -> bytes:
    """A real PNG cut in half: the header reads, the pixels do not."""
    data = png((64, 64))
    return data[:len(data) // 2]
