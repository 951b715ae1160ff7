"""The SQLite run store: runs, metrics, artifacts, deletion, claiming a slot, reaping dead workers."""

import os
import sqlite3
import subprocess
import sys
import time

import pytest
import torch

from replearn_core.runs import RunCancelled, RunContext, RunDiverged, RunNotFound, RunStore


def test_create_get_and_list_newest_first(store):
    a = store.create_run("ssl", {"method": "simclr"})
    time.sleep(0.01)
    b = store.create_run("metric", {"method": "triplet"}, name="my triplet run")
    run = store.get_run(a)
    assert run.kind == "ssl" and run.status == "queued" and run.config == {"method": "simclr"}
    assert run.name == "ssl simclr" and run.active and run.duration_s is None
    assert store.get_run(b).name == "my triplet run"
    assert [r.id for r in store.list_runs()] == [b, a]
    assert [r.id for r in store.list_runs(kind="ssl")] == [a]
    assert [r.id for r in store.list_runs(status="queued")] == [b, a]
    assert store.run_dir(a).is_dir()
    with pytest.raises(RunNotFound):
        store.get_run("no-such-run")


def test_wal_mode_is_on(store):
    db = sqlite3.connect(store.path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_a_second_store_on_the_same_folder_sees_the_writes(store):
    run_id = store.create_run("ssl", {})
    other = RunStore(store.root)
    try:
        other.log_metrics(run_id, [(1, "loss", 2.0)])
        other.finish(run_id, "finished", summary={"knn_acc": 0.5})
        assert store.get_run(run_id).status == "finished"
        assert store.get_run(run_id).summary == {"knn_acc": 0.5}
        assert store.metrics(run_id)["loss"] == ([1], [2.0])
    finally:
        other.close()


def test_metrics_come_back_in_step_order_by_key(store):
    run_id = store.create_run("ssl", {})
    store.log_metrics(run_id, [(2, "loss", 1.5), (1, "loss", 2.5), (1, "knn_acc", 0.2), (3, "knn_acc", 0.4),
                               (3, "loss", 1.0)])
    assert store.metrics(run_id) == {"loss": ([1, 2, 3], [2.5, 1.5, 1.0]), "knn_acc": ([1, 3], [0.2, 0.4])}
    assert store.metrics(run_id, ["knn_acc"]) == {"knn_acc": ([1, 3], [0.2, 0.4])}
    assert store.last_metric(run_id, "loss") == 1.0
    assert store.best_metric(run_id, "knn_acc") == 0.4
    assert store.best_metric(run_id, "missing") is None


def test_run_context_saves_tensors_as_artifacts_and_batches_metrics(store):
    from safetensors import safe_open

    run_id = store.create_run("ssl", {})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    try:
        path = ctx.save_tensors("checkpoint_epoch_1", {"w": torch.arange(6.0).view(2, 3)}, step=10,
                                meta={"backbone": "small_cnn", "epoch": 1})
        ctx.save_tensors("embeddings", {"features": torch.zeros(4, 2), "labels": torch.arange(4)},
                         kind="embeddings", step=10)
        ctx.save_bytes("sample.png", b"\x89PNG...", kind="image")
        ctx.log(1, loss=3.0, skipped=None)
        ctx.flush()
    finally:
        ctx.close()
    assert path.exists() and path.parent == store.run_dir(run_id)
    with safe_open(str(path), "pt") as f:
        assert torch.equal(f.get_tensor("w"), torch.arange(6.0).view(2, 3))
        assert f.metadata()["backbone"] == "small_cnn"
    assert [a.name for a in store.artifacts(run_id, kind="checkpoint")] == ["checkpoint_epoch_1"]
    art = store.artifact(run_id, "checkpoint_epoch_1")
    assert art.meta == {"backbone": "small_cnn", "epoch": 1} and art.step == 10
    assert store.artifact(run_id, "sample.png").path.read_bytes() == b"\x89PNG..."
    assert store.artifact(run_id, "nothing") is None
    assert store.metrics(run_id) == {"loss": ([1], [3.0])}


def test_delete_removes_rows_and_files_but_not_an_active_run(store):
    run_id = store.create_run("ssl", {})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.save_tensors("checkpoint_final", {"w": torch.ones(2)})
    ctx.log(1, loss=1.0)
    ctx.close()
    keep = store.create_run("ssl", {})
    store.log_metrics(keep, [(1, "loss", 5.0)])
    with pytest.raises(ValueError, match="cancel it"):
        store.delete_run(run_id)  # still queued
    store.finish(run_id, "finished")
    folder = store.run_dir(run_id)
    store.delete_run(run_id)
    assert not folder.exists()
    with pytest.raises(RunNotFound):
        store.get_run(run_id)
    assert store.metrics(run_id) == {} and store.artifacts(run_id) == []
    assert store.metrics(keep) == {"loss": ([1], [5.0])}  # the other run is untouched


def test_claim_respects_order_and_concurrency(store):
    first = store.create_run("ssl", {})
    time.sleep(0.01)
    second = store.create_run("ssl", {})
    assert not store.claim(second, "cpu", 1)  # an earlier run is still queued
    assert store.claim(first, "cpu", 1)
    assert store.get_run(first).status == "running"
    assert not store.claim(first, "cpu", 1)  # not queued any more
    assert not store.claim(second, "cpu", 1)  # the one cpu slot is taken
    assert store.claim(second, "cpu", 2)  # two slots: both run
    assert store.get_run(second).status == "running"


def test_claim_asks_a_slot_function_with_the_runs_already_on_the_device(store):
    ids = [store.create_run("ssl", {}) for _ in range(3)]
    asked = []

    def two_slots(running: int) -> int:
        asked.append(running)
        return 2

    assert store.claim(ids[0], "cuda", two_slots) and store.claim(ids[1], "cuda", two_slots)
    assert not store.claim(ids[2], "cuda", two_slots)  # both slots taken
    assert asked == [0, 1, 2]


def test_a_run_on_another_device_does_not_take_the_slot(store):
    gpu_run = store.create_run("ssl", {})
    time.sleep(0.01)
    cpu_run = store.create_run("ssl", {})
    assert store.claim(gpu_run, "cuda", 1)
    assert store.claim(cpu_run, "cpu", 1)


def test_cancel_a_queued_run_at_once_and_flag_a_running_one(store):
    queued = store.create_run("ssl", {})
    store.request_cancel(queued)
    assert store.get_run(queued).status == "cancelled"
    running = store.create_run("ssl", {})
    store.mark_running(running, "cpu")
    store.request_cancel(running)
    assert store.get_run(running).status == "running" and store.cancel_requested(running)


def test_reap_dead_fails_a_run_whose_process_is_gone(store):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid no longer exists
    dead = store.create_run("ssl", {})
    store.mark_running(dead, "cpu", pid=child.pid)
    alive = store.create_run("ssl", {})
    store.mark_running(alive, "cpu")  # this test process: alive and just heartbeated
    assert store.reap_dead() == [dead]
    run = store.get_run(dead)
    assert run.status == "failed" and str(child.pid) in run.error and run.finished is not None
    assert store.get_run(alive).status == "running"


def test_reap_dead_fails_a_silent_run(store):
    run_id = store.create_run("ssl", {})
    store.mark_running(run_id, "cpu")
    store.update(run_id, heartbeat=time.time() - 10_000)
    store.list_runs()  # listing reaps
    run = store.get_run(run_id)
    assert run.status == "failed" and "not reported" in run.error


def test_context_raises_on_cancel_and_divergence(store):
    run_id = store.create_run("ssl", {})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    try:
        ctx.check_finite("loss", 1.0, 1)
        ctx.check_cancel()
        with pytest.raises(RunDiverged, match="nan at step 7"):
            ctx.check_finite("loss", float("nan"), 7)
        with pytest.raises(RunDiverged, match="inf"):
            ctx.check_finite("loss", float("inf"), 8)
        store.request_cancel(run_id)
        ctx._last_cancel_check = 0.0  # the poll is rate-limited to twice a second
        with pytest.raises(RunCancelled):
            ctx.check_cancel()
    finally:
        ctx.close()


def test_progress_is_clamped_and_finish_records_the_end(store):
    run_id = store.create_run("ssl", {})
    store.set_progress(run_id, 1.7, "almost")
    assert store.get_run(run_id).progress == 1.0 and store.get_run(run_id).message == "almost"
    store.set_progress(run_id, -1)
    assert store.get_run(run_id).progress == 0.0
    store.finish(run_id, "failed", error="boom")
    run = store.get_run(run_id)
    assert run.status == "failed" and run.error == "boom" and not run.active


def test_warnings_are_kept_in_order_once_each_and_an_older_database_gains_the_column(store):
    run_id = store.create_run("ssl", {})
    assert store.get_run(run_id).warnings == []
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.warn("skipped 2 file(s)", "the loss did not fall")
    ctx.warn("skipped 2 file(s)")  # the train and test splits of one folder report the same files
    ctx.close()
    assert store.get_run(run_id).warnings == ["skipped 2 file(s)", "the loss did not fall"]
    store.close()
    db = sqlite3.connect(store.path)
    db.execute("ALTER TABLE runs DROP COLUMN warnings")  # a data folder from before warnings existed
    db.commit()
    db.close()
    reopened = RunStore(store.root)
    try:
        assert reopened.get_run(run_id).warnings == []
        reopened.add_warning(run_id, "collapsed")
        assert reopened.get_run(run_id).warnings == ["collapsed"]
    finally:
        reopened.close()


def test_a_queued_run_whose_supervisor_died_is_reaped_and_stops_blocking_the_queue(store):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid no longer exists
    orphan = store.create_run("ssl", {})
    store.set_queued_pid(orphan, child.pid)  # its supervisor, killed while it waited for its turn
    time.sleep(0.01)
    later = store.create_run("ssl", {})
    assert not store.claim(later, "cpu", 1)  # blocked: an earlier run is still queued
    assert store.reap_dead() == [orphan]
    run = store.get_run(orphan)
    assert run.status == "failed" and "stopped before the run could start" in run.error
    assert store.claim(later, "cpu", 1)
    store.set_queued_pid(later, 1)  # a started run's pid is never overwritten
    assert store.get_run(later).pid == os.getpid()


def test_reaping_never_overwrites_how_a_run_ended(store, monkeypatch):
    import replearn_core.runs.store as store_module

    run_id = store.create_run("ssl", {})
    store.mark_running(run_id, "cpu", pid=999_999_999)

    def ends_meanwhile(pid):  # the run ends between the reaper's read and its write
        store.finish(run_id, "finished")
        return False

    monkeypatch.setattr(store_module, "_pid_alive", ends_meanwhile)
    assert store.reap_dead() == []
    assert store.get_run(run_id).status == "finished"
