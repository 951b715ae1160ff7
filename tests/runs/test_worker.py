"""Runs in worker processes: a real tiny run to the end, cancel, a killed worker, divergence, crashes.

These start real Python processes (a supervisor and its child), so each test takes a few seconds.
"""

import json
import os
import signal
import time
from pathlib import Path

import pytest
import torch

from replearn_core.checkpoints import load_run_encoder
from replearn_core.runs import JOBS, execute_run, submit
from replearn_core.ssl.config import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
TINY = dict(epochs=1, max_train_images=128, knn_bank_images=128, eval_images=64, batch_size=64)
LONG = dict(epochs=500, max_train_images=256, knn_bank_images=128, eval_images=64, batch_size=64)
TIMEOUT_S = 180  # generous: the CPU is shared


@pytest.fixture(autouse=True)
def worker_env(monkeypatch):
    """Workers import the project from its root and use one thread each."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def wait_for(store, run_id, condition, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if condition(run):
            return run
        time.sleep(0.3)
    log = store.run_dir(run_id) / "worker.log"
    raise AssertionError(f"run {run_id} stuck as {run.status} ({run.message}); worker log:\n"
                         + (log.read_text()[-3000:] if log.exists() else "(none)"))


def wait_until_training(store, run_id):
    """Until the child process is in the training loop (it has logged a loss), so its pid is recorded."""
    run = wait_for(store, run_id, lambda r: r.status not in ("queued", "running")
                   or (r.status == "running" and "loss" in store.metrics(r.id, ["loss"])))
    assert run.status == "running", f"{run.status}: {run.error}"
    return run


def stop(store, run_id):
    """Leave nothing running after a test."""
    run = store.get_run(run_id)
    if run.active:
        store.request_cancel(run_id)
        try:
            wait_for(store, run_id, lambda r: not r.active, timeout=30)
        except AssertionError:
            if run.pid:
                os.kill(run.pid, signal.SIGKILL)


def test_a_submitted_tiny_run_finishes_with_metrics_and_checkpoints(store):
    config = TrainConfig(**TINY).to_dict()
    run_id = submit("ssl", config, store=store)
    assert store.get_run(run_id).status in ("queued", "running")
    try:
        run = wait_for(store, run_id, lambda r: not r.active)
    finally:
        stop(store, run_id)
    assert run.status == "finished", run.error
    assert run.progress == 1.0
    metrics = store.metrics(run_id)
    assert {"loss", "knn_acc", "collapse_std", "effective_rank", "images_per_s"} <= set(metrics)
    assert metrics["knn_acc"][0][0] == 0  # the untrained encoder is scored at step 0
    assert 0.0 <= run.summary["knn_acc"] <= 1.0 and "knn_acc_init" in run.summary
    names = {a.name for a in store.artifacts(run_id)}
    assert {"checkpoint_epoch_1", "checkpoint_final", "embeddings"} <= names
    for artifact in store.artifacts(run_id):
        assert artifact.path.is_file()
    backbone, run_config = load_run_encoder(store, run_id)
    assert run_config["method"] == "simclr"
    assert backbone(torch.zeros(2, 3, 32, 32)).shape == (2, backbone.feature_dim)


def test_cancel_a_running_run(store):
    run_id = submit("ssl", TrainConfig(**LONG).to_dict(), store=store)
    try:
        wait_until_training(store, run_id)
        store.request_cancel(run_id)
        run = wait_for(store, run_id, lambda r: not r.active, timeout=60)
    finally:
        stop(store, run_id)
    assert run.status == "cancelled", run.error
    assert run.error == "cancelled by the user"  # stopped inside the loop, not before it started
    steps = store.metrics(run_id, ["loss"])["loss"][0]
    assert 0 < max(steps) < LONG["epochs"] * 4  # it stopped long before its 500 epochs


def test_a_killed_worker_marks_its_run_failed(store):
    run_id = submit("ssl", TrainConfig(**LONG).to_dict(), store=store)
    try:
        run = wait_until_training(store, run_id)
        assert run.status == "running" and run.pid
        os.kill(run.pid, signal.SIGKILL)  # the child that executes the job (a process this test started)
        run = wait_for(store, run_id, lambda r: not r.active, timeout=60)
    finally:
        stop(store, run_id)
    assert run.status == "failed"
    assert "SIGKILL" in run.error


def test_a_nan_loss_stops_the_run_as_failed(store, monkeypatch):
    from replearn_core.ssl.methods.simclr import SimCLR

    original = SimCLR.training_loss

    def nan_loss(self, images, generator=None):
        loss, extra = original(self, images, generator)
        return loss * float("nan"), extra

    monkeypatch.setattr(SimCLR, "training_loss", nan_loss)
    run_id = store.create_run("ssl", TrainConfig(**TINY).to_dict())
    summary = execute_run(store, run_id, device=torch.device("cpu"))
    run = store.get_run(run_id)
    assert run.status == "failed" and summary["status"] == "failed"
    assert "nan" in run.error.lower() and "step 1" in run.error


def crashing_job(config, ctx):
    raise RuntimeError("the job fell over")


def test_a_crashing_job_is_recorded_as_failed_and_reraised(store, monkeypatch):
    monkeypatch.setitem(JOBS, "crash", f"{__name__}:crashing_job")
    run_id = store.create_run("crash", {})
    with pytest.raises(RuntimeError):
        execute_run(store, run_id, device=torch.device("cpu"))
    run = store.get_run(run_id)
    assert run.status == "failed" and "the job fell over" in run.error


def noting_job(config, ctx):
    return {"notes": ["folder:/photos: skipped 1 file(s) that could not be read as images: a.txt (not an image)"]}


def test_the_notes_of_any_job_become_warnings_on_its_run(store, monkeypatch):
    monkeypatch.setitem(JOBS, "notes", f"{__name__}:noting_job")
    run_id = store.create_run("notes", {})
    execute_run(store, run_id, device=torch.device("cpu"))
    assert store.get_run(run_id).warnings == noting_job({}, None)["notes"]


def test_submit_an_unknown_kind_is_a_key_error(store):
    with pytest.raises(KeyError, match="unknown job kind"):
        submit("nope", {}, store=store)
    assert store.list_runs() == []


def test_two_runs_submitted_at_the_same_moment_both_run_one_at_a_time(store):
    """Two browser tabs pressing Train together: two queued runs, distinct ids, run one after the other."""
    import threading

    barrier = threading.Barrier(2)
    run_ids = []

    def press_train():
        barrier.wait()
        run_ids.append(submit("ssl", TrainConfig(**TINY).to_dict(), store=store))

    tabs = [threading.Thread(target=press_train) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert len(set(run_ids)) == 2
    assert all(store.get_run(r).pid for r in run_ids)  # each queued run has its supervisor recorded
    try:
        first, second = sorted((wait_for(store, r, lambda run: not run.active) for r in run_ids),
                               key=lambda run: run.started)
    finally:
        for r in run_ids:
            stop(store, r)
    assert first.status == second.status == "finished", (first.error, second.error)
    assert second.started >= first.finished  # one slot on the CPU: the second waited for the first


def test_a_worker_killed_with_its_supervisor_is_marked_failed_not_left_running(store):
    """SIGKILL to the whole worker (supervisor and child, as an out-of-memory kill or `kill -9 -PGID` does):
    nobody is left to record the end, and the next listing marks the run failed."""
    run_id = submit("ssl", TrainConfig(**LONG).to_dict(), store=store)
    try:
        run = wait_until_training(store, run_id)
        os.killpg(os.getpgid(run.pid), signal.SIGKILL)  # the process group this test's submit started
        deadline = time.monotonic() + 30
        while store.get_run(run_id).active and time.monotonic() < deadline:
            store.list_runs()  # listing reaps dead runs, as the Runs page and the lab's live view do
            time.sleep(0.3)
        run = store.get_run(run_id)
    finally:
        stop(store, run_id)
    assert run.status == "failed" and "stopped without reporting" in run.error


def test_a_run_outlives_the_server_that_started_it_and_the_restarted_page_finds_it(store):
    """The app restarted mid-run: the server process that pressed Train dies (SIGKILL, no clean-up) right after
    submitting; the run goes on in its own session, and the lab page of a new server shows it."""
    import subprocess
    import sys

    from streamlit.testing.v1 import AppTest

    code = ("import json, os, signal, sys; from replearn_core.runs import submit; "
            "print(submit('ssl', json.loads(sys.argv[1])), flush=True); os.kill(os.getpid(), signal.SIGKILL)")
    server = subprocess.run([sys.executable, "-c", code, json.dumps(TrainConfig(**TINY).to_dict())],
                            capture_output=True, text=True, timeout=120)
    assert server.returncode == -signal.SIGKILL
    run_id = server.stdout.strip()
    try:
        run = wait_for(store, run_id, lambda r: not r.active)
    finally:
        stop(store, run_id)
    assert run.status == "finished", run.error
    page = AppTest.from_file(str(ROOT / "pages" / "1_ssl_lab.py"), default_timeout=90).run()
    assert not page.exception
    assert any(run_id in h.value for h in page.subheader)
