"""Runs: the SQLite run store, the job registry, the worker processes and the base of run configurations
(:class:`replearn_core.runs.config.RunConfig`)."""

from replearn_core.runs.context import RunCancelled, RunContext, RunDiverged
from replearn_core.runs.jobs import JOBS, execute_run, register_job
from replearn_core.runs.store import Artifact, Run, RunNotFound, RunStore
from replearn_core.runs.worker import submit

__all__ = ["Artifact", "JOBS", "Run", "RunCancelled", "RunContext", "RunDiverged", "RunNotFound", "RunStore",
           "execute_run", "register_job", "submit"]
