"""How worker processes run: their torch thread count, their scheduling priority, OpenMP's waiting, the warm worker.

Runs share the machine with the web server and, on a laptop, the browser. A worker at the server's priority
makes the pages lag, so a run's process runs 10 steps of niceness below the process that started it: the
server and the browser get the CPU when they need it, the run takes the rest. By default a run uses every core
it may run on, as on a quiet machine (the speed targets of the SSL defaults are measured so), or its share of
them where several runs share a device (a GPU's slots); with a browser on the same two cores, fewer threads may
finish sooner (``bench/responsiveness.py --load`` measures both).

OpenMP threads that wait for work spin by default, burning the CPU the server and the browser need, and a
thread that is descheduled while the others spin makes them all wait (a 5-epoch run took 255 s instead of 72 s
with a browser and one other process on 2 cores, issue 11). Passive waiting (``OMP_WAIT_POLICY=PASSIVE``)
avoids that, but costs twice the training time on a quiet machine (3 SimCLR epochs: 13 s instead of 6.5 s
here), so workers spin by default and ``REPLEARN_WORKER_OMP_WAIT=passive`` is the switch for a crowded
machine; an ``OMP_WAIT_POLICY`` in the environment wins.

Every field is read from an environment variable, so a server, the command line and the tests set them the
same way (``REPLEARN_WORKER_THREADS=1 make app``):

==============================  =========================================================================
``REPLEARN_WORKER_THREADS``      torch threads of a run's process (default: its share of the cores, below)
``REPLEARN_WORKER_NICE``         niceness added to worker processes, 0 to 19 (default 10)
``REPLEARN_WORKER_OMP_WAIT``     ``active`` (default) or ``passive``: OpenMP's ``OMP_WAIT_POLICY``
``REPLEARN_WARM_WORKER``         ``0`` runs each job in a new process instead of a fork of the warm worker
``REPLEARN_WARM_IDLE_S``         seconds the warm worker waits without runs or pages before it exits (1800)
``REPLEARN_CONCURRENCY``         runs at a time on every device (default: 1 on a CPU or MPS, a GPU's own)
``REPLEARN_GPU_RUN_MB``          GPU memory one run is assumed to need, MiB (2048)
``REPLEARN_GPU_MAX_RUNS``        runs sharing one GPU at most (4)
==============================  =========================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def all_cores() -> int:
    """The cores this process may run on (its CPU affinity, as ``taskset`` or a container sets it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkerSettings:
    threads: int = 0  # torch intra-op threads of a run's process (REPLEARN_WORKER_THREADS); 0 = its share:
    # every core divided by the runs its device may run at once (run_threads)
    nice: int = 10  # added to the niceness of the worker processes (REPLEARN_WORKER_NICE): 0 = the server's
    # priority, 19 = the lowest
    omp_wait: str = "active"  # OpenMP's OMP_WAIT_POLICY in workers (REPLEARN_WORKER_OMP_WAIT): passive
    # threads sleep when out of work instead of spinning (half the speed on a quiet machine); an
    # OMP_WAIT_POLICY in the environment wins
    warm: bool = True  # runs execute in forks of a warm worker process (REPLEARN_WARM_WORKER=0: a fresh
    # process per run, torch imported anew each time)
    idle_s: float = 1800.0  # the warm worker exits after this long with no run and no page asking for it
    # (REPLEARN_WARM_IDLE_S); the next run or page visit starts it again
    concurrency: int = 0  # runs at a time on every device (REPLEARN_CONCURRENCY); 0 = each device's own
    # (runs.processes.concurrency: one on a CPU or MPS, a GPU's from its free memory)
    gpu_run_mb: float = 2048.0  # GPU memory one small run is assumed to hold, CUDA context included
    # (REPLEARN_GPU_RUN_MB; a default lab run held about 0.9 GB on an H200)
    gpu_max_runs: int = 4  # runs sharing one GPU at most (REPLEARN_GPU_MAX_RUNS). Measured on an H200
    # (docs/deploy.md): one default lab run alone 46 s, four at once 69 s for all four (the GPU 99 % busy),
    # sixteen at once none had ended after 206 s: past about four the GPU is full, and more runs at once only
    # make every student wait for the last one

    @classmethod
    def from_env(cls, environ=None) -> "WorkerSettings":
        """The settings in the environment; a malformed value is an error naming the variable."""
        environ = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default, cast, low, high):
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = cast(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not {'a whole number' if cast is int else 'a number'}") \
                    from None
            if not low <= value <= high:
                raise ValueError(f"{name}={raw!r} must be between {low} and {high}")
            return value

        def choice(name: str, default: str, options: dict[str, object]):
            raw = environ.get(name, "").strip().lower()
            if not raw:
                return default
            if raw not in options:
                raise ValueError(f"{name}={raw!r} must be one of {', '.join(options)}")
            return options[raw]

        switch = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
                  "off": False}
        return cls(threads=number("REPLEARN_WORKER_THREADS", defaults.threads, int, 0, 1024),
                   nice=number("REPLEARN_WORKER_NICE", defaults.nice, int, 0, 19),
                   omp_wait=choice("REPLEARN_WORKER_OMP_WAIT", defaults.omp_wait,
                                   {"passive": "passive", "active": "active"}),
                   warm=choice("REPLEARN_WARM_WORKER", defaults.warm, switch),
                   idle_s=number("REPLEARN_WARM_IDLE_S", defaults.idle_s, float, 1.0, 1e9),
                   concurrency=number("REPLEARN_CONCURRENCY", defaults.concurrency, int, 0, 1024),
                   gpu_run_mb=number("REPLEARN_GPU_RUN_MB", defaults.gpu_run_mb, float, 1.0, 1e7),
                   gpu_max_runs=number("REPLEARN_GPU_MAX_RUNS", defaults.gpu_max_runs, int, 1, 1024))

    def process_env(self, environ=None) -> dict[str, str]:
        """The environment to start a worker process with: OpenMP reads its settings once, when torch is
        imported, so they must be in place before the process starts."""
        env = dict(os.environ if environ is None else environ)
        env.setdefault("OMP_WAIT_POLICY", self.omp_wait.upper())
        return env


def lower_priority(settings: WorkerSettings) -> None:
    """Lower this process's scheduling priority by ``settings.nice`` (inherited by the processes it starts)."""
    if settings.nice and hasattr(os, "nice"):
        os.nice(settings.nice)


def run_threads(settings: WorkerSettings, runs_at_once: int = 1) -> int:
    """A run's torch threads: ``REPLEARN_WORKER_THREADS`` when set, else its share of the cores when
    ``runs_at_once`` runs share the device (every core on a CPU, which runs one at a time). Several runs on one
    GPU each driving every core, with spinning OpenMP waits, starve each other: on an H200 with 16 cores, four
    default lab runs of 16 threads each took about 350 s where one alone takes 46 s."""
    return settings.threads or max(1, all_cores() // max(1, runs_at_once))


def use_threads(settings: WorkerSettings, runs_at_once: int = 1) -> int:
    """Give torch the run's intra-op thread count (:func:`run_threads`; call in the process that runs the
    job); returns it."""
    import torch

    threads = run_threads(settings, runs_at_once)
    torch.set_num_threads(threads)
    return threads
