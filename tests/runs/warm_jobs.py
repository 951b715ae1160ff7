"""A job kind for the worker tests: ``probe`` reports the process it runs in, then changes it.

Worker processes learn of it through ``REPLEARN_JOB_MODULES=tests.runs.warm_jobs`` (the tests set it); the test
process registers it by importing this module.
"""

import os
import sys
import time
from pathlib import Path

from replearn_core.runs.jobs import register_job

LEAK = "REPLEARN_PROBE_LEAK"  # set by every probe: a later probe must not see it


def probe(config: dict, ctx) -> dict:
    import torch

    from replearn_core.data import _load_cached

    report = {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "parent_args": _args(os.getppid()),
        "own_args": _args(os.getpid()),
        "threads": torch.get_num_threads(),
        "nice": os.nice(0),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "ssl_job_imported": "replearn_core.ssl.job" in sys.modules,  # before this job asked for it
        "datasets_in_memory": _load_cached.cache_info().currsize,
        "leaked": os.environ.get(LEAK),
    }
    os.environ[LEAK] = "1"  # what a job changes in its process ends with it
    torch.set_num_threads(1)
    ctx.log(1, loss=1.0)
    deadline = time.monotonic() + float(config.get("sleep_s", 0))  # a run that holds its slot until cancelled
    while time.monotonic() < deadline:
        ctx.check_cancel()
        time.sleep(0.1)
    return report


def _args(pid: int) -> list[str]:
    try:
        return [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


register_job("probe", f"{__name__}:probe")
