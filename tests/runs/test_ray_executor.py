"""The Ray executor with a real local Ray instance: a run finishes with its metrics and checkpoint in the app's
store, a cancel stops one, a killed Ray worker marks its run failed (issue 15)."""

import os
import signal
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from replearn_core.runs.worker import submit  # noqa: E402
from replearn_core.ssl.config import TrainConfig  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import ray_jobs  # noqa: E402,F401  registers the "sleepy" job kind here too (submit checks the kind)

TINY = dict(epochs=1, max_train_images=128, knn_bank_images=128, eval_images=64, batch_size=64)


@pytest.fixture(scope="module")
def local_ray():
    """One small local Ray instance for the module: two CPUs, a small object store, workers that find the
    project and the test job kind."""
    ray.init(num_cpus=2, object_store_memory=80 * 1024 * 1024, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
                                       "REPLEARN_JOB_MODULES": "ray_jobs", "REPLEARN_DEVICE": "cpu",
                                       "OMP_NUM_THREADS": "1"}})
    yield
    ray.shutdown()


@pytest.fixture
def on_ray(local_ray, monkeypatch):
    monkeypatch.setenv("REPLEARN_EXECUTOR", "ray")
    monkeypatch.setenv("REPLEARN_RAY_CPUS", "1")


def wait_until(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_run_on_ray_finishes_with_its_metrics_and_checkpoint_in_the_apps_store(on_ray, store):
    run_id = submit("ssl", TrainConfig(**TINY).to_dict(), store=store)
    assert wait_until(lambda: not store.get_run(run_id).active), store.get_run(run_id)
    run = store.get_run(run_id)
    assert run.status == "finished", run.error
    assert run.pid != os.getpid()  # it ran in a Ray worker process
    metrics = store.metrics(run_id)
    assert "loss" in metrics and "knn_acc" in metrics
    checkpoint = store.artifact(run_id, "checkpoint_final")
    assert checkpoint is not None and checkpoint.path.is_file()
    assert checkpoint.path.parent == store.run_dir(run_id)  # written here, by the store's actor


def test_a_cancelled_run_on_ray_stops(on_ray, store):
    run_id = submit("sleepy", {"seconds": 60}, store=store)
    assert wait_until(lambda: store.last_metric(run_id, "tick") is not None)
    store.request_cancel(run_id)
    assert wait_until(lambda: not store.get_run(run_id).active, timeout=30)
    assert store.get_run(run_id).status == "cancelled"


def test_a_killed_ray_worker_marks_its_run_failed(on_ray, store):
    run_id = submit("sleepy", {"seconds": 60}, store=store)
    assert wait_until(lambda: store.last_metric(run_id, "pid") is not None)
    os.kill(int(store.last_metric(run_id, "pid")), signal.SIGKILL)
    assert wait_until(lambda: not store.get_run(run_id).active, timeout=60)
    run = store.get_run(run_id)
    assert run.status == "failed" and "Ray worker" in run.error, run.error


def test_an_unknown_executor_is_refused_before_anything_is_queued(store, monkeypatch):
    monkeypatch.setenv("REPLEARN_EXECUTOR", "slurm")
    with pytest.raises(ValueError, match="REPLEARN_EXECUTOR='slurm' must be local or ray"):
        submit("ssl", TrainConfig(**TINY).to_dict(), store=store)
    assert store.list_runs() == []
