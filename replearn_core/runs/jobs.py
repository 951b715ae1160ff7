"""The registry of job kinds, and the function that executes one run.

Each kind maps to ``"module:function"``, imported only when a run of that kind
executes, so that the web server never imports the training code.
"""

from __future__ import annotations

import importlib
import os
import traceback

from replearn_core.device import describe, pick_device
from replearn_core.i18n import Message, message_of
from replearn_core.runs.context import RunCancelled, RunContext, RunDiverged
from replearn_core.runs.store import RunStore
from replearn_core.storage_errors import StoreUnavailable, explain_storage_error

JOBS: dict[str, str] = {
    "ssl": "replearn_core.ssl.job:run_ssl",  # self-supervised pretraining (issue 2)
    "supervised": "replearn_core.transfer.supervised:run_supervised",  # supervised source encoder
    "transfer": "replearn_core.transfer.job:run_transfer",  # fine-tuning strategy comparison
    "cyclegan": "replearn_core.cyclegan.job:run_cyclegan",  # CycleGAN training
    "metric": "replearn_core.metric.job:run_metric",  # metric learning (triplet, contrastive, ArcFace, SupCon)
    "adapt": "replearn_core.adaptation.job:run_adapt",  # domain adaptation comparison
    "incremental": "replearn_core.incremental.job:run_incremental",  # incremental learning: strategies compared
}


def register_job(kind: str, target: str) -> None:
    """Register a job kind: ``register_job("cyclegan", "replearn_core.cyclegan.job:run")``.

    A worker process knows only the kinds registered here and by the modules named in
    ``REPLEARN_JOB_MODULES`` (comma-separated), which it imports when it meets a kind it does not know.
    """
    JOBS[kind] = target


def import_job_modules() -> None:
    """Import the modules named in ``REPLEARN_JOB_MODULES``, which register their job kinds when imported."""
    for name in filter(None, (n.strip() for n in os.environ.get("REPLEARN_JOB_MODULES", "").split(","))):
        importlib.import_module(name)


def resolve_job(kind: str):
    if kind not in JOBS:
        import_job_modules()
    if kind not in JOBS:
        raise KeyError(f"unknown job kind {kind!r}; known: {', '.join(JOBS)}")
    module, func = JOBS[kind].split(":")
    return getattr(importlib.import_module(module), func)


def execute_run(store: RunStore, run_id: str, on_log=None, device=None) -> dict:
    """Run a job to its end in this process and record how it ended.

    Returns the job's summary. Cancellation and divergence are recorded as such
    and do not raise; any other error is recorded as failed and re-raised.
    """
    run = store.get_run(run_id)
    try:
        device = device or pick_device(run.config.get("device"))
    except ValueError as exc:  # a device this worker lacks (cuda on a CPU machine): the run fails and says so
        store.finish(run_id, "failed", error=message_of(exc))
        raise
    if run.status == "queued":
        store.mark_running(run_id, describe(device))
    else:
        store.update(run_id, device=describe(device))
    ctx = RunContext(store, run_id, device, on_log=on_log)
    try:
        summary = resolve_job(run.kind)(run.config, ctx) or {}
        ctx.warn(*summary.get("notes", []))  # any job's notes (skipped files, ...) are shown beside the run
        ctx.close()
        store.finish(run_id, "finished", summary=summary)
        return summary
    except RunCancelled as exc:
        ctx.close()
        store.finish(run_id, "cancelled", error=message_of(exc))
        return {"status": "cancelled"}
    except RunDiverged as exc:
        ctx.close()
        store.finish(run_id, "failed", error=message_of(exc))
        return {"status": "failed", "error": str(exc)}
    except BaseException as exc:
        explained = explain_storage_error(exc, store.root)  # a full disk: say so, and what to do
        try:
            ctx.close()
        except StoreUnavailable:
            pass  # the metrics not yet written are lost with the run; earlier runs are intact
        detail = message_of(explained) if explained is not exc else \
            message_of(exc) if isinstance(message_of(exc), Message) else \
            "".join(traceback.format_exception_only(type(exc), exc)).strip()
        store.finish(run_id, "failed", error=detail)
        if explained is not exc:
            raise explained from exc
        raise
