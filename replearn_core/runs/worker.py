"""Runs execute in worker processes, never inside the web server.

``submit`` records a queued run and hands it to the data folder's *warm worker*
(:mod:`replearn_core.runs.warm`, started if none is alive): a process that has
already imported torch and the jobs' code and holds the built-in datasets, and
runs each job in a fresh fork of itself, so the first point of a curve appears
within seconds. With ``REPLEARN_WARM_WORKER=0`` (or when the warm worker cannot
be started) it starts a detached supervisor process for the run instead
(``main(["supervise", RUN_ID])`` in a new Python process), which runs the job in
a new child process.

Either way the process that watches the job waits for its turn (one run at a
time per device by default; ``REPLEARN_CONCURRENCY`` raises it), then watches
the job's process: if it dies (killed, out of memory, a crash in native code) the
run is marked failed with the reason. Runs survive page reloads and closed tabs,
and the server's restart, because nothing of them lives in the server. Worker
processes run at a lower priority and with their own thread count
(:mod:`replearn_core.runs.worker_settings`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from replearn_core.runs.store import RunStore
from replearn_core.runs.worker_settings import WorkerSettings, lower_priority, use_threads

POLL_S = 0.5
CODE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding replearn_core/
# how worker processes are started: `python -c _ENTRY supervise|execute RUN_ID`
_ENTRY = "import sys; from replearn_core.runs.worker import main; raise SystemExit(main(sys.argv[1:]))"


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


def submit(kind: str, config: dict, name: str | None = None, store: RunStore | None = None,
           owner: str | None = None) -> str:
    """Queue a run and hand it to the warm worker, or start a supervisor for it; returns the run id at once.

    ``owner``: the student it belongs to in classroom mode (:mod:`replearn_core.runs.access`, whose
    ``check_submit`` the caller asks first); it decides the run's turn in the queue."""
    from replearn_core.runs.jobs import JOBS

    if kind not in JOBS:
        raise KeyError(f"unknown job kind {kind!r}; known: {', '.join(JOBS)}")
    settings = WorkerSettings.from_env()  # a malformed setting fails here, naming the variable
    store = store or RunStore()
    executor = os.environ.get("REPLEARN_EXECUTOR", "local").strip().lower() or "local"
    if executor not in ("local", "ray"):
        raise ValueError(f"REPLEARN_EXECUTOR={executor!r} must be local or ray")
    run_id = store.create_run(kind, config, name, owner=owner)
    if executor == "ray":  # a Ray task on the cluster; the store here stays the one source of truth
        from replearn_core.runs.ray_executor import submit_ray

        try:
            submit_ray(store, run_id)
        except Exception as exc:
            store.finish(run_id, "failed", error=f"could not hand the run to Ray: {exc}")
            raise
        return run_id
    if settings.warm:
        from replearn_core.runs.warm import assign_to_warm_worker

        if assign_to_warm_worker(store, run_id):
            return run_id
    with open(store.run_dir(run_id) / "worker.log", "ab") as log:
        supervisor = subprocess.Popen([sys.executable, "-c", _ENTRY, "supervise", run_id],
                                      stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True, env=worker_env(store.root, settings),
                                      close_fds=True)
    store.set_queued_pid(run_id, supervisor.pid)  # a queued run whose supervisor dies is reaped, not left
    return run_id


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


def supervise(run_id: str) -> int:
    lower_priority(WorkerSettings.from_env())  # the job's process inherits it
    store = RunStore()
    run = store.get_run(run_id)
    try:
        key = device_key(run.config)
    except Exception as exc:  # noqa: BLE001
        store.finish(run_id, "failed", error=f"no device: {exc}")
        return 1
    store.update(run_id, device=key, message="waiting for a free slot")
    while not store.claim(run_id, key, concurrency(key)):
        if store.get_run(run_id).status != "queued":  # cancelled while waiting
            return 0
        store.reap_dead()  # a dead run ahead of us must not block the queue forever
        time.sleep(POLL_S)
    store.update(run_id, message="starting")
    child = subprocess.Popen([sys.executable, "-c", _ENTRY, "execute", run_id],
                             stdin=subprocess.DEVNULL)
    store.update(run_id, pid=child.pid)
    while child.poll() is None:
        store.heartbeat(run_id)
        time.sleep(1.0)
    record_death(store, run_id, child.returncode)  # the child died without recording how the run ended
    return 0


def execute(run_id: str) -> int:
    """Run one job in this process (a worker's child) to its end; 0 when it ended as recorded."""
    from replearn_core.runs.jobs import execute_run

    store = RunStore(reference_runs=False)  # the process that started this one has registered them
    try:
        use_threads(WorkerSettings.from_env(), runs_at_once(store.get_run(run_id).device or "cpu"))
        execute_run(store, run_id)
    except Exception:  # noqa: BLE001 - already recorded as failed with its message
        import traceback
        traceback.print_exc()
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "warm":
        from replearn_core.runs.warm import serve

        return serve(int(argv[1]), argv[2])
    if len(argv) != 2 or argv[0] not in ("supervise", "execute"):
        print("usage: python -m replearn_core.runs.worker {supervise|execute} RUN_ID | warm LOCK_FD TOKEN",
              file=sys.stderr)
        return 2
    return supervise(argv[1]) if argv[0] == "supervise" else execute(argv[1])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
