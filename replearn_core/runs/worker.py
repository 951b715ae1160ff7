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
import subprocess
import sys
import time

from replearn_core.runs.processes import ENTRY, concurrency, device_key, execute, record_death, worker_env
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore
from replearn_core.runs.worker_settings import WorkerSettings, lower_priority

POLL_S = 0.5


def submit(kind: str, config: dict, name: str | None = None, store: RunStore | None = None,
           owner: str | None = None) -> str:
    """Queue a run and hand it to the warm worker, or start a supervisor for it; returns the run id at once.

    ``owner``: the student it belongs to in classroom mode (:mod:`replearn_core.runs.access`, whose
    ``check_submit`` the caller asks first); it decides the run's turn in the queue."""
    from replearn_core.runs.jobs import JOBS

    if kind not in JOBS:
        raise KeyError(f"unknown job kind {kind!r}; known: {', '.join(JOBS)}")
    settings = WorkerSettings.from_env()  # a malformed setting fails here, naming the variable
    store = store or open_store()
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
        supervisor = subprocess.Popen([sys.executable, "-c", ENTRY, "supervise", run_id],
                                      stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True, env=worker_env(store.root, settings),
                                      close_fds=True)
    store.set_queued_pid(run_id, supervisor.pid)  # a queued run whose supervisor dies is reaped, not left
    return run_id


def supervise(run_id: str) -> int:
    lower_priority(WorkerSettings.from_env())  # the job's process inherits it
    store = RunStore()  # the process that queued the run has registered the reference runs
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
    child = subprocess.Popen([sys.executable, "-c", ENTRY, "execute", run_id],
                             stdin=subprocess.DEVNULL)
    store.update(run_id, pid=child.pid)
    while child.poll() is None:
        store.heartbeat(run_id)
        time.sleep(1.0)
    record_death(store, run_id, child.returncode)  # the child died without recording how the run ended
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
