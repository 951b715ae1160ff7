"""Runs as Ray tasks: a class's runs in parallel on a cluster of machines (``REPLEARN_EXECUTOR=ray``).

The run store on the app's machine stays the one source of truth. Nothing remote opens its SQLite file:

- a :class:`StoreService` actor, pinned to the app's node, holds the :class:`RunStore` and takes every write
  a run makes (metrics, progress, warnings, heartbeats, how it ended) and every file it saves (sent as bytes,
  written into the run's folder there);
- a run executes as one Ray task (:func:`_execute`) that asks for its resources (``num_cpus``, ``num_gpus``),
  runs the ordinary job through :func:`replearn_core.runs.jobs.execute_run` with a :class:`RemoteStore`
  (the part of the store's interface a run uses, each call an actor call) and polls the actor for a cancel;
- a watcher thread in the app process waits on each task: when a Ray worker or node dies, the run is marked
  failed with Ray's reason (a run that ended on its own is never overwritten).

Ray is optional (``requirements-ray.txt``); without it, or with ``REPLEARN_EXECUTOR`` unset, runs go to the
local worker pool as before. ``REPLEARN_RAY_ADDRESS``: ``auto`` (a cluster started with ``ray start``), a
``ray://host:10001`` client address, or unset for a Ray instance of this machine's own.

Limits: a job that opens other runs' files itself (a transfer run reading its encoder run's checkpoint) needs
the data folder at the same path on the worker's machine (a shared mount); self-supervised, metric-learning,
CycleGAN and domain-adaptation runs need nothing but their configuration.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from replearn_core.runs.store import DONE, RunStore

_ACTOR_PREFIX = "replearn-store-"
_lock = threading.Lock()


def _ray():
    try:
        import ray
    except ImportError as exc:  # noqa: F841
        raise RuntimeError("REPLEARN_EXECUTOR=ray needs Ray: pip install -r requirements-ray.txt") from None
    return ray


def ensure_ray(address: str | None = None, **init_kwargs) -> None:
    """Connect to (or start) Ray once per process."""
    ray = _ray()
    with _lock:
        if not ray.is_initialized():
            address = address if address is not None else (os.environ.get("REPLEARN_RAY_ADDRESS") or None)
            ray.init(address=address, include_dashboard=False, log_to_driver=False, **init_kwargs)


class StoreService:
    """The run store of the app's machine, as a Ray actor (its methods mirror RunStore's)."""

    def __init__(self, root: str):
        self.store = RunStore(root)

    def get_run(self, run_id):
        return self.store.get_run(run_id)

    def mark_running(self, run_id, device, pid=None):
        self.store.mark_running(run_id, device, pid)

    def update(self, run_id, fields):
        self.store.update(run_id, **fields)

    def finish(self, run_id, status, error=None, summary=None):
        self.store.finish(run_id, status, error, summary)

    def finish_if_active(self, run_id, status, error):
        """How a run ended, unless the run itself already recorded it (a worker that died after finishing)."""
        if self.store.get_run(run_id).status not in DONE:
            self.store.finish(run_id, status, error=error)

    def log_metrics(self, run_id, rows):
        self.store.log_metrics(run_id, rows)

    def replace_metrics(self, run_id, step, values):
        self.store.replace_metrics(run_id, step, values)

    def set_progress(self, run_id, fraction, message=None):
        self.store.set_progress(run_id, fraction, message)

    def add_warning(self, run_id, message):
        self.store.add_warning(run_id, message)

    def heartbeat(self, run_id):
        self.store.heartbeat(run_id)

    def cancel_requested(self, run_id):
        return self.store.cancel_requested(run_id)

    def metrics(self, run_id, keys=None):
        return self.store.metrics(run_id, keys)

    def best_metric(self, run_id, key):
        return self.store.best_metric(run_id, key)

    def put_file(self, run_id, file_name, data, name, kind, step=None, meta=None):
        """Write a run's file into its folder here (through a temporary name) and list it as an artifact."""
        folder = self.store.run_dir(run_id)
        path = folder / Path(file_name).name  # a bare name: nothing lands outside the run's folder
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        self.store.add_artifact(run_id, name, kind, path, step, meta)
        return str(path)

    def ping(self):
        return os.getpid()


class RemoteStore:
    """What a run uses of RunStore, on a Ray worker: each call goes to the app machine's StoreService; files are
    written to a local scratch folder and sent over when the run lists them as artifacts."""

    def __init__(self, service, scratch: Path):
        self._service = service
        self.root = scratch

    def _call(self, method, *args):
        import ray
        return ray.get(getattr(self._service, method).remote(*args))

    def get_run(self, run_id):
        return self._call("get_run", run_id)

    def mark_running(self, run_id, device, pid=None):
        self._call("mark_running", run_id, device, pid or os.getpid())

    def update(self, run_id, **fields):
        self._call("update", run_id, fields)

    def finish(self, run_id, status, error=None, summary=None):
        self._call("finish", run_id, status, error, summary)

    def log_metrics(self, run_id, rows):
        self._call("log_metrics", run_id, rows)

    def replace_metrics(self, run_id, step, values):
        self._call("replace_metrics", run_id, step, values)

    def set_progress(self, run_id, fraction, message=None):
        self._call("set_progress", run_id, fraction, message)

    def add_warning(self, run_id, message):
        self._call("add_warning", run_id, message)

    def heartbeat(self, run_id):
        self._call("heartbeat", run_id)

    def cancel_requested(self, run_id):
        return self._call("cancel_requested", run_id)

    def metrics(self, run_id, keys=None):
        return self._call("metrics", run_id, keys)

    def best_metric(self, run_id, key):
        return self._call("best_metric", run_id, key)

    def run_dir(self, run_id):
        folder = self.root / "runs" / run_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def add_artifact(self, run_id, name, kind, path, step=None, meta=None):
        path = Path(path)
        self._call("put_file", run_id, path.name, path.read_bytes(), name, kind, step, meta)
        path.unlink(missing_ok=True)  # the app machine's copy is the one that counts


def _execute(service, run_id: str) -> dict:
    """The body of a run's Ray task: the ordinary job, its store remote."""
    from replearn_core.runs.jobs import execute_run

    with tempfile.TemporaryDirectory(prefix="replearn-ray-") as scratch:
        return execute_run(RemoteStore(service, Path(scratch)), run_id)


def store_service(store: RunStore):
    """The StoreService actor of this data folder, started on this node if it is not running."""
    ray = _ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    name = _ACTOR_PREFIX + hashlib.sha1(str(store.root.resolve()).encode()).hexdigest()[:12]
    try:
        return ray.get_actor(name)
    except ValueError:
        here = ray.get_runtime_context().get_node_id()
        actor = ray.remote(num_cpus=0)(StoreService).options(
            name=name, get_if_exists=True, lifetime="detached", max_concurrency=8,
            scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False))
        return actor.remote(str(store.root))


def resources_for(config: dict) -> dict:
    """What a run asks Ray for: a GPU unless it names another device; CPUs from REPLEARN_RAY_CPUS (default 1)."""
    cpus = float(os.environ.get("REPLEARN_RAY_CPUS", "1"))
    wants_gpu = config.get("device") in (None, "cuda") and _cluster_has_gpus()
    return {"num_cpus": cpus, "num_gpus": 1 if wants_gpu else 0}


def _cluster_has_gpus() -> bool:
    return _ray().cluster_resources().get("GPU", 0) > 0


def submit_ray(store: RunStore, run_id: str, **init_kwargs):
    """Start a queued run as a Ray task; returns its ObjectRef. A watcher thread records a worker's death."""
    ensure_ray(**init_kwargs)
    ray = _ray()
    service = store_service(store)
    run = store.get_run(run_id)
    task = ray.remote(_execute).options(max_retries=0, **resources_for(run.config))
    ref = task.remote(service, run_id)
    threading.Thread(target=_watch, args=(store.root, run_id, ref), daemon=True,
                     name=f"ray-watch-{run_id}").start()
    return ref


def _watch(root: Path, run_id: str, ref) -> None:
    ray = _ray()
    try:
        ray.get(ref)
    except Exception as exc:  # noqa: BLE001 - a dead worker or node, or the job's own error (already recorded)
        store = RunStore(root)
        if store.get_run(run_id).status not in DONE:
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            store.finish(run_id, "failed", error=f"the Ray worker running it stopped ({type(exc).__name__}: "
                                                 f"{reason}); start the run again")
