"""What the warm worker (:mod:`replearn_core.runs.warm`) and the supervisor of a run
(:mod:`replearn_core.runs.worker`) share: how a worker process is started (:data:`ENTRY`, :func:`worker_env`),
how many runs a device takes at once, which device a run claims, how a dead job's run is marked failed, and
:func:`execute`, the run process's body.

Both process modules import this one; neither imports the other's helpers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

from replearn_core.runs.store import RunStore
from replearn_core.runs.worker_settings import WorkerSettings, use_threads

CODE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding replearn_core/
# how worker processes are started: `python -c ENTRY supervise|execute RUN_ID`
ENTRY = "import sys; from replearn_core.runs.worker import main; raise SystemExit(main(sys.argv[1:]))"


GPU_READ_EVERY_S = 10.0  # how long a reading of the GPU's free memory is trusted
_gpu_reading: dict = {}  # {"at": monotonic time, "free_mb": …, "running": runs on the GPU when it was read}


def concurrency(device_key: str = "cpu") -> int | Callable[[int], int]:
    """How many runs may run at once on one device: ``REPLEARN_CONCURRENCY`` when it is set; on a CUDA GPU,
    as many as its free memory holds (:func:`gpu_slots`, a function of the runs already on it, for
    :meth:`RunStore.claim`); one on a CPU (a run already uses every core) or MPS."""
    fixed = WorkerSettings.from_env().concurrency
    if fixed:
        return fixed
    return gpu_slots if device_key == "cuda" else 1


def runs_at_once(device_key: str) -> int:
    """The most runs a device runs at once (each run's share of the cores follows from it)."""
    from replearn_core.runs.worker_settings import all_cores

    settings = WorkerSettings.from_env()
    if settings.concurrency:
        return settings.concurrency
    return min(all_cores(), settings.gpu_max_runs) if device_key == "cuda" else 1


def gpu_free_mb() -> float | None:
    """Free memory of the first CUDA GPU in MiB, read by ``nvidia-smi`` (never by torch: a CUDA context in a
    supervisor or in the warm worker, whose forks run the jobs, would cost memory and break the forks);
    None when it cannot be read."""
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=10)
        return float(done.stdout.split()[0]) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def gpu_slots(running: int) -> int:
    """Runs the GPU takes at once, given ``running`` runs on it now: those that ran when its free memory was
    last read, plus as many more as 90 % of that free memory holds at ``REPLEARN_GPU_RUN_MB`` each; at most
    ``REPLEARN_GPU_MAX_RUNS`` (its compute is full sooner than its memory) and one per CPU core (each run's
    Python drives its own GPU work); at least one. A reading is reused for ``GPU_READ_EVERY_S``: runs that
    start meanwhile fill the slots it found instead of each seeing the memory the others have not taken yet."""
    now = time.monotonic()
    if not _gpu_reading or now - _gpu_reading["at"] > GPU_READ_EVERY_S:
        _gpu_reading.update(at=now, free_mb=gpu_free_mb(), running=running)
    free = _gpu_reading["free_mb"]
    if free is None:  # unreadable: one run at a time, as on a CPU
        return 1
    more = int(0.9 * free // WorkerSettings.from_env().gpu_run_mb)
    return max(1, min(runs_at_once("cuda"), _gpu_reading["running"] + more))


def worker_env(root, settings: WorkerSettings) -> dict[str, str]:
    """The environment of a worker process: this one's, with the data folder, OpenMP's settings and the
    project on the import path (a server started from another folder still finds ``replearn_core``)."""
    env = settings.process_env()
    env["REPLEARN_DATA"] = str(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH", "")]))
    return env


def device_key(config: dict) -> str:
    """The device type a run claims a slot on: cpu, cuda or mps."""
    from replearn_core.device import pick_device

    return pick_device(config.get("device")).type


def death_reason(code: int) -> str:
    """Why a job's process ended without recording how its run ended, from its exit code (-N: signal N)."""
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"worker process was killed by {name}{hint}"
    return f"worker process exited with code {code} without finishing the run"


def record_death(store: RunStore, run_id: str, code: int) -> None:
    """Mark a run failed if its process ended (exit code ``code``) while the run was still running."""
    if store.get_run(run_id).status == "running":
        store.finish(run_id, "failed", error=death_reason(code))


def execute(run_id: str) -> int:
    """Run one job in this process (a worker's child) to its end; 0 when it ended as recorded."""
    from replearn_core.runs.jobs import execute_run

    store = RunStore()  # the process that started this one has registered the reference runs
    try:
        use_threads(WorkerSettings.from_env(), runs_at_once(store.get_run(run_id).device or "cpu"))
        execute_run(store, run_id)
    except Exception:  # noqa: BLE001 - already recorded as failed with its message
        import traceback
        traceback.print_exc()
        return 1
    return 0
