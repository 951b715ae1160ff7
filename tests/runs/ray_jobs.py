"""A job kind for the Ray executor's tests: reports its process id, then works until cancelled (or 60 s)."""

import os
import time

from replearn_core.runs.jobs import register_job


def run_sleepy(config: dict, ctx) -> dict:
    ctx.log(0, pid=float(os.getpid()))
    ctx.flush()
    deadline = time.monotonic() + config.get("seconds", 60)
    step = 0
    while time.monotonic() < deadline:
        step += 1
        ctx.log(step, tick=float(step))
        ctx.check_cancel()
        time.sleep(0.1)
    return {"steps": step}


register_job("sleepy", "ray_jobs:run_sleepy")
