"""How worker processes run: their torch thread count, their scheduling priority, the warm worker.

Runs share the machine with the web server and, on a laptop, the browser. Two torch threads on two cores
that something else also wants wait for each other at every parallel region and run many times slower (a
5-epoch run took 255 s instead of 72 s with a browser and one other process on 2 cores, issue 11), and a
worker at the server's priority makes the pages lag. So by default a run's process uses half the logical
cores and runs 10 steps of niceness below the process that started it: the server and the browser get the
CPU when they need it, the run takes the rest.

Every field is read from an environment variable, so a server, the command line and the tests set them the
same way (``REPLEARN_WORKER_THREADS=2 make app``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _half_the_cores() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass(frozen=True)
class WorkerSettings:
    threads: int = _half_the_cores()  # torch intra-op threads of a run's process (REPLEARN_WORKER_THREADS); on a
    # machine where nothing else runs (users browse from other computers) all the cores are faster
    nice: int = 10  # added to the niceness of the worker processes (REPLEARN_WORKER_NICE): 0 = the server's
    # priority, 19 = the lowest
    warm: bool = True  # runs execute in forks of a warm worker process (REPLEARN_WARM_WORKER=0: a fresh
    # process per run, torch imported anew each time)
    idle_s: float = 1800.0  # the warm worker exits after this long with no run and no page asking for it
    # (REPLEARN_WARM_IDLE_S); the next run or page visit starts it again

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
                raise ValueError(f"{name}={raw!r} is not a number") from None
            if not low <= value <= high:
                raise ValueError(f"{name}={raw!r} must be between {low} and {high}")
            return value

        warm = environ.get("REPLEARN_WARM_WORKER", "1").strip().lower() not in ("0", "false", "no", "off")
        return cls(threads=number("REPLEARN_WORKER_THREADS", defaults.threads, int, 1, 1024),
                   nice=number("REPLEARN_WORKER_NICE", defaults.nice, int, 0, 19),
                   warm=warm,
                   idle_s=number("REPLEARN_WARM_IDLE_S", defaults.idle_s, float, 1.0, 1e9))


def lower_priority(settings: WorkerSettings) -> None:
    """Lower this process's scheduling priority by ``settings.nice`` (inherited by the processes it starts)."""
    if settings.nice and hasattr(os, "nice"):
        os.nice(settings.nice)


def use_threads(settings: WorkerSettings) -> None:
    """Give torch the worker's intra-op thread count (call in the process that runs the job)."""
    import torch

    torch.set_num_threads(settings.threads)
