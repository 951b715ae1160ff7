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


def run_in_foreground(store, run_id: str, on_log, bar: ProgressBar | None, as_json: bool,
                      summary_keys: tuple[str, ...]) -> int:
    """Execute a stored run here, then print its result: one JSON line, or the chosen keys.

    Shared by every command that trains; returns the command's exit code (1 when the run failed).
    """
    import json
    import os

    from replearn_core.runs.jobs import execute_run

    store.set_queued_pid(run_id, os.getpid())  # killed before it starts, the run is reaped, not queued forever
    try:
        summary = execute_run(store, run_id, on_log=on_log)
    finally:
        if bar is not None:
            bar.close()
    run = store.get_run(run_id)
    result = {"run_id": run_id, "status": run.status, **summary, "warnings": run.warnings}
    if run.error:
        result["error"] = run.error
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if as_json:
        print(json.dumps(result))
    else:
        width = max(len(k) for k in (*summary_keys, "status", "run_id")) + 2
        for key in ("status", *summary_keys, "error"):
            value = result.get(key)
            if value is not None:
                print(f"{key:>{width}}: {value:.4g}" if isinstance(value, float) else f"{key:>{width}}: {value}")
        print(f"{'run_id':>{width}}: {run_id}")
    if run.status == "failed":
        print(f"error: {run.error}", file=sys.stderr)
        return 1
    return 0
