"""The warm worker: a run's first loss point in about a second, not after torch's import and the data.

One long-lived process per data folder has imported torch, the jobs' code and the modules they load on first
use (torch's optimizers import ``torch._dynamo`` at their first step, the final linear probe scikit-learn), and
holds the built-in datasets in memory. :func:`assign_to_warm_worker` (called by ``submit``) hands it queued
runs; it claims them in order when a slot on their device is free (``REPLEARN_CONCURRENCY``) and runs each in
a *fresh fork of itself*, which it watches as a supervisor watches its child.

What a run reuses, and what it does not:

- **Reused** (inherited from the warm worker, which never runs a job itself): the imported modules; the
  built-in datasets in memory (``shapes`` and ``digits`` at 32 px, the lab's size; other datasets and sizes
  are loaded by the run, as before); the environment, working folder and priority the warm worker was
  started with.
- **Not reused**: anything a job changes. Each job runs in a new process forked from the warm worker, so the
  seeds, torch's thread count, modified globals and environment, registered jobs or datasets and open files
  of one job end with it. A job's process starts as a new process would: torch's default random state (the
  warm worker never draws a random number), Python's ``random`` reseeded at the fork (Python does that) and
  numpy's from the operating system, torch's thread count set from ``REPLEARN_WORKER_THREADS``, its own
  SQLite connection (the warm worker closes its own before forking: a connection must not cross a fork).

Processes and files, in ``<data folder>/workers/``:

- ``warm-<token>.lock``: the warm worker holds an exclusive lock on it for its whole life (the kernel drops it
  however the process dies, so a stale pid never counts as alive); its pid is written inside.
- ``warm.json``: the current warm worker (pid, token, lock, a fingerprint of the code and the settings, ready).
  A worker whose fingerprint no longer matches (the code was edited, a ``REPLEARN_*`` setting changed) is
  replaced: the new one is written here, and the old one hands it its queued runs and exits when its running
  ones end.
- ``start.lock``: held while a worker is looked for or started, a run assigned, or a worker leaves, so that
  two tabs pressing Train together start one worker and no run is assigned to a worker that is leaving.
- ``warm.wanted``: touched by every run and page that asks for the worker; it exits after
  ``REPLEARN_WARM_IDLE_S`` without runs or such a touch. ``warm.log``: its output (a run's is in its folder).

A queued run records the warm worker's pid, so if it dies before the run starts the run is reaped as failed,
as for a dead supervisor; a running run records its own process's pid. A dead warm worker is replaced by the
next run or page that asks for one. It forks only on Linux and for CPU runs: CUDA and MPS runs get a new
process started by it (a CUDA context and Apple's frameworks do not survive a fork).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import os
import sys
import time
import traceback
import uuid
from contextlib import contextmanager
from pathlib import Path

from replearn_core.runs.processes import ENTRY, concurrency, device_key, execute, record_death, worker_env
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore
from replearn_core.runs.worker_settings import WorkerSettings, lower_priority
from replearn_core.storage_errors import StoreUnavailable

POLL_S = 0.1  # how often the warm worker looks for queued runs and for its children's exits
HEARTBEAT_S = 1.0  # how often it marks its running runs alive
REAP_EVERY_S = 2.0  # while a run of its waits, how often dead runs ahead of it are reaped
CODE_ROOT = Path(__file__).resolve().parents[1]  # replearn_core/, fingerprinted: edited code means a new worker
PRELOAD_MODULES = ("replearn_core.ssl.job", "torch._dynamo", "sklearn.linear_model", "sklearn.preprocessing",
                   "safetensors.torch")  # before the worker is ready: what the lab's default run needs
PRELOAD_DATASETS = ("shapes", "digits")  # built-in sets held in memory at the lab's image size
PRELOAD_IMAGE_SIZE = 32
_FINGERPRINT_ENV = ("REPLEARN_", "PYTORCH_", "OMP_", "MKL_", "CUDA_VISIBLE_DEVICES", "PYTHONPATH")
INFO_FILE, START_LOCK, WANTED_FILE, LOG_FILE = "warm.json", "start.lock", "warm.wanted", "warm.log"


# --- asking for the warm worker (the server, submit, the command line) ------------------
def assign_to_warm_worker(store: RunStore, run_id: str) -> bool:
    """Hand a queued run to the data folder's warm worker, starting one if none is alive.

    False when no warm worker could be started (the caller then starts a supervisor for the run).
    """
    try:
        with _locked(workers_dir(store.root) / START_LOCK):
            pid = _find_or_start(store.root, WorkerSettings.from_env())
            store.set_queued_pid(run_id, pid)  # it claims the runs carrying its pid; if it dies first, reaped
        return True
    except StoreUnavailable:
        raise
    except OSError as exc:
        print(f"replearn: could not start the warm worker ({exc}); the run gets a process of its own",
              file=sys.stderr)
        return False


def keep_warm(root: str | Path | None = None) -> int | None:
    """Start the data folder's warm worker if none is alive and restart its idle clock; its pid.

    The app calls this on every page, so the first Train of a session finds the worker ready. Never raises
    (the pages work without it): None when it is turned off or could not start.
    """
    try:
        settings = WorkerSettings.from_env()
        if not settings.warm:
            return None
        from replearn_core.paths import data_dir

        root = Path(root) if root else data_dir()
        with _locked(workers_dir(root) / START_LOCK):
            return _find_or_start(root, settings)
    except Exception as exc:  # noqa: BLE001 - a page must not fail because the worker could not start
        print(f"replearn: could not start the warm worker: {exc}", file=sys.stderr)
        return None


def warm_worker_info(root: str | Path) -> dict | None:
    """The current warm worker of a data folder (pid, token, ready, ...) if it is alive, else None."""
    folder = workers_dir(root)
    info = _read_info(folder)
    return info if info and _is_held(folder / info["lock"]) else None


def wait_until_ready(root: str | Path, timeout_s: float = 120.0) -> dict:
    """Block until the data folder's warm worker has preloaded what runs need; its info."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = warm_worker_info(root)
        if info and info.get("ready"):
            return info
        time.sleep(0.1)
    log = workers_dir(root) / LOG_FILE
    raise TimeoutError(f"the warm worker was not ready within {timeout_s:.0f} s; its log:\n"
                       + (log.read_text(errors="replace")[-3000:] if log.exists() else "(none)"))


def stop_warm_workers(root: str | Path, timeout_s: float = 10.0) -> None:
    """Stop every warm worker of a data folder with the runs they execute: for tests and benchmarks, which
    must leave nothing running.

    A live worker's whole process group is signalled (its forks and the processes it spawned); the forks of a
    worker that died already (killed with SIGKILL: its runs go on) are found by the worker's token, which
    their command line carries (a fork keeps its parent's).
    """
    import signal

    folder = Path(root) / "workers"
    if not folder.is_dir():
        return
    groups, pids = set(), set()
    for lock in folder.glob("warm-*.lock"):
        token = lock.stem.removeprefix("warm-")
        pids.update(_processes_of(token))
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            continue
        if pid and _is_held(lock) and _group_of(pid) == pid:  # a session leader: its group is its own
            groups.add(pid)

    def alive() -> bool:
        return any(_group_alive(g) for g in groups) or any(_is_process(p) for p in pids)

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            _signal(os.killpg, group, sig)
        for pid in pids:
            _signal(os.kill, pid, sig)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and alive():
            time.sleep(0.05)
        if not alive():
            return


def _processes_of(token: str) -> list[int]:
    """The live processes whose command line is a warm worker's with this token: the worker and its forks."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = entry.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"warm" in args and token.encode() in args:
            found.append(int(entry.parent.name))
    return [pid for pid in found if pid != os.getpid()]


def _signal(send, pid: int, sig) -> None:
    try:
        send(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(group: int) -> bool:
    """Whether a process group has a member that is not a zombie (killed processes wait for their parent)."""
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _is_process(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# --- files and locks --------------------------------------------------------------------
def workers_dir(root: str | Path) -> Path:
    folder = Path(root) / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on a file (waiting for it), across processes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _is_held(path: Path) -> bool:
    """Whether a process holds the lock on this file (callers hold the start lock, so never one another)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the lock if this call took it


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _read_info(folder: Path) -> dict | None:
    try:
        info = json.loads((folder / INFO_FILE).read_text())
        return info if isinstance(info, dict) and "lock" in info else None
    except (OSError, ValueError):
        return None


def _write_info(folder: Path, info: dict) -> None:
    tmp = folder / (INFO_FILE + ".tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(folder / INFO_FILE)


def fingerprint() -> str:
    """What a warm worker must share with whoever asks for it: the Python, the code (file times and sizes
    under replearn_core/) and the settings in the environment."""
    digest = hashlib.sha256(sys.executable.encode())
    for path in sorted(CODE_ROOT.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    for key in sorted(os.environ):
        if key.startswith(_FINGERPRINT_ENV) and key != "REPLEARN_DATA":
            digest.update(f"{key}={os.environ[key]}\n".encode())
    return digest.hexdigest()[:16]


def _find_or_start(root: Path, settings: WorkerSettings) -> int:
    """The pid of the data folder's warm worker, started if none is alive or it runs other code or settings.
    The caller holds the start lock."""
    folder = workers_dir(root)
    (folder / WANTED_FILE).touch()
    info = _read_info(folder)
    wanted = fingerprint()
    if info and info.get("fingerprint") == wanted and _is_held(folder / info["lock"]):
        return info["pid"]
    return _start(Path(root), folder, wanted, settings)


def _start(root: Path, folder: Path, wanted: str, settings: WorkerSettings) -> int:
    import subprocess

    token = uuid.uuid4().hex[:12]
    lock = folder / f"warm-{token}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: free; held from now until the worker dies
        # NVML's CUDA check: pick_device in the worker must not initialise CUDA, which a fork would not survive
        env = dict(worker_env(root, settings), PYTORCH_NVML_BASED_CUDA_CHECK="1")
        with open(folder / LOG_FILE, "ab") as log:
            process = subprocess.Popen([sys.executable, "-c", ENTRY, "warm", str(fd), token], stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                       env=env, close_fds=True, pass_fds=(fd,))
    except BaseException:
        lock.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)  # the worker's copy of this open file keeps the lock
    _write_info(folder, {"pid": process.pid, "token": token, "lock": lock.name, "fingerprint": wanted,
                         "started": time.time(), "ready": False})
    return process.pid


# --- the warm worker process ------------------------------------------------------------
def serve(lock_fd: int, token: str) -> int:
    """The warm worker's main: preload, then execute the runs assigned to it until idle or replaced."""
    settings = WorkerSettings.from_env()
    lower_priority(settings)  # inherited by every run's process
    os.set_inheritable(lock_fd, False)  # a process it spawns must not hold its lock
    os.write(lock_fd, str(os.getpid()).encode())
    import torch

    # no parallel region in this process: an OpenMP thread pool does not survive a fork (a forked job would
    # hang), and no backward pass either (autograd's threads do not); each job sets its own thread count
    torch.set_num_threads(1)
    from replearn_core.paths import data_dir

    worker = WarmWorker(data_dir(), lock_fd, token, settings)
    for name in PRELOAD_MODULES:
        _preload(importlib.import_module, name)
    from replearn_core.data import load_dataset

    for name in PRELOAD_DATASETS:
        for split in ("train", "test"):
            _preload(load_dataset, name, split, PRELOAD_IMAGE_SIZE)
    compile_projections()
    worker.mark_ready()
    return worker.loop()


def compile_projections() -> None:
    """Compile the feature maps' numba code (t-SNE, UMAP, the approximate kNN) into the data folder's on-disk
    cache, in a separate short-lived process started now: the first Feature maps page then loads it in about a
    second instead of compiling for half a minute. Not in this process: numba's parallel code starts a thread
    pool, which a forked run would not survive. It is in the worker's process group: stopping the worker stops it.
    ``REPLEARN_COMPILE_MAPS=0`` turns it off (a test suite that starts many workers on fresh data folders)."""
    import subprocess

    if os.environ.get("REPLEARN_COMPILE_MAPS", "1") == "0":
        return
    try:
        subprocess.Popen([sys.executable, "-c", "from replearn_core.projection.maps import warm_up; warm_up()"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         close_fds=True)
    except OSError as exc:  # only costs the first map some seconds
        print(f"replearn: could not compile the feature maps' code ahead: {exc}", file=sys.stderr)


def _preload(load, *args) -> None:
    try:
        load(*args)
    except Exception:  # noqa: BLE001 - a run that needs it reports the error itself
        print(f"warm worker: could not preload {args}:", file=sys.stderr)
        traceback.print_exc()


class WarmWorker:
    """The warm worker's loop: claim its queued runs, fork a process per run, watch them, leave when idle."""

    def __init__(self, root: Path, lock_fd: int, token: str, settings: WorkerSettings):
        self.root, self.folder = root, workers_dir(root)
        self.lock_fd, self.token, self.settings = lock_fd, token, settings
        self.pid = os.getpid()
        self.store = open_store(root)  # registers the reference runs once; its children skip that
        self.children: dict[int, str] = {}  # pid of a run's process -> run id
        self.last_busy = time.monotonic()
        self.ready_at = time.time()
        self.last_beat = self.last_reap = 0.0
        self.retired = False
        self.preloaded_all_jobs = False

    def mark_ready(self) -> None:
        # the idle clock starts now: preloading can outlast the idle time on a busy machine, and a worker must
        # not leave the moment it is ready
        self.last_busy, self.ready_at = time.monotonic(), time.time()
        with _locked(self.folder / START_LOCK):
            info = _read_info(self.folder)
            if info and info.get("token") == self.token:
                _write_info(self.folder, {**info, "ready": True})

    def loop(self) -> int:
        try:
            while True:
                try:
                    if self._step():
                        return 0
                except Exception:  # noqa: BLE001 - a locked database, a full disk: try again, never die of it
                    traceback.print_exc()
                    time.sleep(1.0)
                time.sleep(POLL_S)
        finally:
            (self.folder / f"warm-{self.token}.lock").unlink(missing_ok=True)

    def _step(self) -> bool:
        """One look around; True when the worker should exit."""
        self._collect_children()
        info = _read_info(self.folder)
        if info is None or info.get("token") == self.token:
            self._start_queued_runs()
        elif not self.retired:
            self.store.reassign_queued(self.pid, info["pid"])  # a newer worker takes over; ours end here
            self.retired = True
        now = time.monotonic()
        if self.children:
            self.last_busy = now
            if now - self.last_beat >= HEARTBEAT_S:
                self.last_beat = now
                for run_id in self.children.values():
                    self.store.heartbeat(run_id)
            return False
        if self.retired or not self.root.is_dir():
            return True
        if not self.preloaded_all_jobs:  # idle: import the other kinds of job for the runs to come
            from replearn_core.runs.jobs import JOBS

            for target in JOBS.values():
                _preload(importlib.import_module, target.split(":")[0])
            self.preloaded_all_jobs = True
        return self._idle_long_enough()

    def _start_queued_runs(self) -> None:
        for run_id in self.store.queued_for(self.pid):
            try:
                key = device_key(self.store.get_run(run_id).config)
            except Exception as exc:  # noqa: BLE001 - an unknown or absent device fails this run only
                self.store.finish(run_id, "failed", error=f"no device: {exc}")
                continue
            if not self.store.claim(run_id, key, concurrency(key)):
                if time.monotonic() - self.last_reap >= REAP_EVERY_S:  # a dead run ahead must not block the queue
                    self.last_reap = time.monotonic()
                    self.store.reap_dead()
                return
            self.children[self._launch(run_id, key)] = run_id

    def _launch(self, run_id: str, key: str) -> int:
        """Start the process that executes a claimed run; its pid."""
        self.store.update(run_id, message="starting")
        log_path = self.store.run_dir(run_id) / "worker.log"
        if sys.platform.startswith("linux") and key == "cpu":
            self.store.close()  # no SQLite connection may cross a fork; the child opens its own
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _execute_in_fork(run_id, log_path, self.lock_fd)
            self.store = RunStore(self.root)
        else:
            pid = _spawn(run_id, log_path)
        self.store.update(run_id, pid=pid)
        return pid

    def _collect_children(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            run_id = self.children.pop(pid, None)
            if run_id:  # killed, out of memory, a crash in native code: say so on the run
                record_death(self.store, run_id, os.waitstatus_to_exitcode(status))

    def _idle_long_enough(self) -> bool:
        """Leave after the idle time without runs or pages asking; decided under the start lock, so that no
        run is assigned to a worker that is leaving."""
        idle_s = self.settings.idle_s
        if time.monotonic() - self.last_busy < idle_s or time.time() - self._wanted_at() < idle_s:
            return False
        with _locked(self.folder / START_LOCK):
            if self.store.queued_for(self.pid) or time.time() - self._wanted_at() < idle_s:
                return False
            info = _read_info(self.folder)
            if info and info.get("token") == self.token:
                (self.folder / INFO_FILE).unlink(missing_ok=True)
            return True

    def _wanted_at(self) -> float:
        """When a run or a page last asked for the worker (or it became ready, if later)."""
        try:
            return max(self.ready_at, (self.folder / WANTED_FILE).stat().st_mtime)
        except OSError:
            return self.ready_at


def _execute_in_fork(run_id: str, log_path: Path, lock_fd: int):
    """The forked child: become a fresh run process and execute the run; never returns."""
    code = 1
    try:
        os.close(lock_fd)  # the lock must be released when the warm worker dies, whatever its runs do
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        import numpy as np

        np.random.seed()  # as a new process: from the OS (Python reseeds `random` at a fork itself)
        code = execute(run_id)  # sets the worker's thread count, opens its own store
    except BaseException:  # noqa: BLE001 - whatever happens, this process must not return into the worker's loop
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _spawn(run_id: str, log_path: Path) -> int:
    """A new process for a run that cannot run in a fork (CUDA, MPS, not Linux)."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        return os.posix_spawn(sys.executable, [sys.executable, "-c", ENTRY, "execute", run_id], dict(os.environ),
                              file_actions=[(os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2)])
    finally:
        os.close(log)
