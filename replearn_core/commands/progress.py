"""A dependency-free progress bar for the command line, written to stderr."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, total: int, label: str = "", width: int = 30, stream=None):
        self.total = max(1, int(total))
        self.label = label
        self.width = width
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, done: int, info: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.2 and done < self.total:
            return
        self._last = now
        frac = min(done / self.total, 1.0)
        filled = int(frac * self.width)
        elapsed = now - self.start
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {frac * 100:5.1f}% {elapsed:5.0f}s<{eta:4.0f}s {info}   ")
        self.stream.flush()

    def close(self) -> None:
        self.update(self.total, force=True)
        self.stream.write("\n")
        self.stream.flush()
