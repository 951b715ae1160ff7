"""What a job sees of its run: log metrics, report progress, save files, notice a cancel.

A job is a plain function ``job(config: dict, ctx: RunContext) -> dict`` registered
in :mod:`replearn_core.runs.jobs`; its returned dict becomes the run's summary.
The same job runs in a worker process (from the pages) or in the foreground
(from the command line).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import torch

from replearn_core.i18n import Message
from replearn_core.runs.store import RunStore


class RunCancelled(Exception):
    """Raised inside a job when the user cancelled its run."""


class RunDiverged(Exception):
    """Raised when a loss became NaN or infinite: the run stops and says so."""


class RunContext:
    FLUSH_EVERY_S = 0.5
    HEARTBEAT_EVERY_S = 5.0

    def __init__(self, store: RunStore, run_id: str, device: torch.device, on_log=None):
        self.store = store
        self.run_id = run_id
        self.device = device
        self.run_dir: Path = store.run_dir(run_id)
        self._pending: list[tuple[int, str, float]] = []
        self._logged_keys: set[str] = set()  # a key's first point is written at once: a new curve shows at once
        self._last_flush = 0.0
        self._last_cancel_check = 0.0
        self._on_log = on_log  # optional callback(step, metrics) for the command line's progress bar
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat_loop, daemon=True)
        self._beat.start()

    # --- reporting --------------------------------------------------------------------
    def log(self, step: int, **metrics: float) -> None:
        """Record metrics at a step; written to the store in batches (at most every 0.5 s), and at once when a
        metric is logged for the first time (the first loss point must not wait for the next batch)."""
        new_key = False
        for key, value in metrics.items():
            if value is None:
                continue
            value = float(value)
            self._pending.append((step, key, value))
            new_key = new_key or key not in self._logged_keys
            self._logged_keys.add(key)
        if self._on_log:
            self._on_log(step, metrics)
        if new_key or time.monotonic() - self._last_flush > self.FLUSH_EVERY_S:
            self.flush()

    def relog(self, step: int, **metrics: float) -> None:
        """Replace metrics logged earlier at a step with a refined value (written at once)."""
        self.flush()
        self.store.replace_metrics(self.run_id, step, metrics)

    def flush(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            self.store.log_metrics(self.run_id, rows)
        self._last_flush = time.monotonic()

    def progress(self, fraction: float, message: str | None = None) -> None:
        self.store.set_progress(self.run_id, fraction, message)

    def warn(self, *messages: str) -> None:
        """Record messages the user should act on (skipped files, a collapsed representation, ...) on the run:
        the pages show them beside the run and the command line prints them."""
        for message in messages:
            self.store.add_warning(self.run_id, message)

    def check_finite(self, name: str, value: float, step: int) -> None:
        if not math.isfinite(value):
            raise RunDiverged(Message("run.diverged", name=name, value=str(value), step=step))

    def check_cancel(self) -> None:
        """Raise RunCancelled if the user asked to stop (polls the store at most twice a second)."""
        now = time.monotonic()
        if now - self._last_cancel_check < 0.5:
            return
        self._last_cancel_check = now
        if self.store.cancel_requested(self.run_id):
            raise RunCancelled(Message("run.cancelled"))

    # --- files ------------------------------------------------------------------------
    def save_tensors(self, name: str, tensors: dict[str, torch.Tensor], kind: str = "checkpoint",
                     step: int | None = None, meta: dict | None = None) -> Path:
        """Save tensors as safetensors (never pickle) and list them as an artifact of the run."""
        from safetensors.torch import save_file

        flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
        return self._save(f"{name}.safetensors", name, kind, step, meta, lambda tmp: save_file(
            flat, str(tmp), metadata={k: str(v) for k, v in (meta or {}).items()}))

    def save_bytes(self, name: str, data: bytes, kind: str, step: int | None = None,
                   meta: dict | None = None) -> Path:
        return self._save(name, name, kind, step, meta, lambda tmp: tmp.write_bytes(data))

    def _save(self, file_name: str, name: str, kind: str, step: int | None, meta: dict | None, write) -> Path:
        """Write through a temporary file renamed when complete (a reader never sees half a file; a full disk
        leaves no half file behind), then list the file as an artifact of the run."""
        path = self.run_dir / file_name
        tmp = path.with_name(path.name + ".tmp")
        try:
            write(tmp)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.store.add_artifact(self.run_id, name, kind, path, step, meta)
        return path

    # --- lifetime ---------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.HEARTBEAT_EVERY_S):
            try:
                self.store.heartbeat(self.run_id)
            except Exception:  # noqa: BLE001 - a missed heartbeat is not worth killing the run
                pass

    def close(self) -> None:
        self._stop.set()
        self.flush()
