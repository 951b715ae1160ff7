"""The warm worker (replearn_core/runs/warm.py): runs execute in forks of one process that has imported torch and
holds the built-in datasets; it leaves when idle, hands its queued runs over when the settings change, and its
death loses no run silently.

Most runs here are ``probe`` jobs (tests/runs/warm_jobs.py): they report the process they run in and, with
``sleep_s``, hold their slot until cancelled, without training anything. Every test stops the warm workers it
started (tests/conftest.py's data_dir fixture), killing their runs too.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from replearn_core.runs import submit
from replearn_core.runs.warm import (INFO_FILE, keep_warm, stop_warm_workers, wait_until_ready, warm_worker_info,
                                     workers_dir)
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.untrained_baseline import UntrainedBaseline
from tests.runs import warm_jobs  # registers the probe job kind in this process
from tests.runs.test_worker import TINY, stop
from tests.runs.test_worker import wait_for as wait_for_run

ROOT = Path(__file__).resolve().parents[2]
# generous: under `nice -n 19` beside a benchmark, importing torch and drawing the datasets can take minutes
READY_S = 600


def wait_for(store, run_id, condition, timeout=READY_S):
    return wait_for_run(store, run_id, condition, timeout)


@pytest.fixture(autouse=True)
def warm_env(monkeypatch, data_dir):
    """Runs go to the warm worker, which finds the project and the probe job; two threads per run."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("REPLEARN_WARM_WORKER", "1")
    monkeypatch.setenv("REPLEARN_JOB_MODULES", warm_jobs.__name__)
    monkeypatch.setenv("REPLEARN_WORKER_THREADS", "2")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    yield
    stop_warm_workers(data_dir)


def ready_worker(data_dir) -> dict:
    keep_warm(data_dir)
    return wait_until_ready(data_dir, timeout_s=READY_S)


def finished(store, run_id):
    run = wait_for(store, run_id, lambda r: not r.active)
    assert run.status == "finished", run.error
    return run


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a dead worker waits for this test process to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, timeout_s: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_submitted_run_executes_in_a_fork_of_the_warm_worker_and_finishes(store, data_dir):
    worker = ready_worker(data_dir)
    first = finished(store, submit("probe", {}, store=store)).summary
    second = finished(store, submit("probe", {}, store=store)).summary
    for report in (first, second):
        assert report["ppid"] == worker["pid"]  # a child of the warm worker ...
        assert report["own_args"] == report["parent_args"]  # ... that is a fork of it, not a new program
        assert report["ssl_job_imported"]  # inherited: the training code was imported before the run
        assert report["datasets_in_memory"] >= 4  # shapes and digits, train and test, drawn before the run
        assert report["threads"] == 2  # REPLEARN_WORKER_THREADS, set in the run's process
        assert report["nice"] >= min(19, os.nice(0) + 10)  # below this process's priority
        assert report["omp_wait_policy"] == "ACTIVE"
    assert first["pid"] != second["pid"]  # a fresh fork per run ...
    assert second["leaked"] is None and "REPLEARN_PROBE_LEAK" not in os.environ  # ... so one run's changes end with it

    run_id = submit("ssl", TrainConfig(**TINY).to_dict(), store=store)  # a real run, in the same worker
    run = finished(store, run_id)
    assert {"loss", "knn_acc", "effective_rank"} <= set(store.metrics(run_id))
    assert {"checkpoint_final", "embeddings"} <= {a.name for a in store.artifacts(run_id)}
    assert 0.0 <= run.summary["knn_acc"] <= 1.0
    assert warm_worker_info(data_dir)["pid"] == worker["pid"]  # one worker served every run


def test_the_first_loss_point_is_in_the_store_before_the_full_baseline_and_the_first_epoch_end(store, data_dir):
    """Once the worker is ready, the first loss point waits neither for torch's import nor for the untrained
    encoder's full scores: the store has it while step 0 still holds the estimate on a sample."""
    ready_worker(data_dir)
    sample = UntrainedBaseline.SAMPLE_HELD_OUT
    config = TrainConfig(epochs=2, max_train_images=1024, knn_bank_images=2 * UntrainedBaseline.SAMPLE_BANK,
                         eval_images=2 * sample, batch_size=64).to_dict()
    run_id = submit("ssl", config, store=store)
    try:
        def first_loss():
            metrics = store.metrics(run_id, ["loss", "knn_acc", "baseline_images"])
            return metrics if "loss" in metrics else None

        seen = wait_until(first_loss, READY_S, "the first loss point")
        finished(store, run_id)
    finally:
        stop(store, run_id)
    assert seen["baseline_images"] == ([0], [sample])  # the sample estimate came first and is still there
    assert seen["knn_acc"][0] == [0]  # no epoch has ended: no evaluation after step 0 yet
    rows = store._db.execute("SELECT step, key, time FROM metrics WHERE run_id = ? ORDER BY time, rowid",
                             (run_id,)).fetchall()
    written = {(row["step"], row["key"]): row["time"] for row in rows}
    steps_per_epoch = 1024 // 64
    assert written[(1, "loss")] < written[(2, "loss")]  # the first point is written alone, at once
    assert written[(1, "loss")] < written[(0, "knn_acc")]  # the full baseline replaced step 0 later
    assert written[(1, "loss")] < written[(steps_per_epoch, "knn_acc")]
    assert store.metrics(run_id, ["baseline_images"])["baseline_images"] == ([0], [2 * sample])


def test_the_warm_worker_exits_when_idle_and_a_page_visit_keeps_it(store, data_dir, monkeypatch):
    monkeypatch.setenv("REPLEARN_WARM_IDLE_S", "1")
    pid = ready_worker(data_dir)["pid"]
    for _ in range(15):  # pages asking for it every 0.2 s keep it alive for longer than its idle time
        assert keep_warm(data_dir) == pid
        time.sleep(0.2)
    wait_until(lambda: not alive(pid), READY_S, "the idle warm worker to exit")
    assert warm_worker_info(data_dir) is None
    folder = workers_dir(data_dir)
    assert not (folder / INFO_FILE).exists() and not list(folder.glob("warm-*.lock"))


def test_changed_settings_start_a_new_worker_which_takes_over_the_queued_runs(store, data_dir, monkeypatch):
    old = ready_worker(data_dir)["pid"]
    holding = submit("probe", {"sleep_s": 300}, store=store)  # runs in the old worker, holding the CPU slot
    wait_for(store, holding, lambda r: r.status == "running" and r.pid != old)
    waiting = submit("probe", {}, store=store)
    assert store.get_run(waiting).pid == old and store.get_run(waiting).status == "queued"

    monkeypatch.setenv("REPLEARN_WORKER_NICE", "12")  # another setting: the old worker no longer fits
    newest = submit("probe", {}, store=store)
    new = warm_worker_info(data_dir)["pid"]
    assert new != old and store.get_run(newest).pid == new
    wait_for(store, waiting, lambda r: r.pid == new)  # handed over while still queued
    assert store.get_run(waiting).status == "queued"
    assert alive(old)  # it stays while its run goes on

    store.request_cancel(holding)
    assert wait_for(store, holding, lambda r: not r.active).status == "cancelled"
    for run_id in (waiting, newest):
        assert finished(store, run_id).summary["ppid"] == new
    wait_until(lambda: not alive(old), READY_S, "the replaced worker to leave")
    assert warm_worker_info(data_dir)["pid"] == new


def test_a_killed_warm_worker_fails_its_queued_run_and_the_next_submit_starts_another(store, data_dir):
    old = ready_worker(data_dir)["pid"]
    holding = submit("probe", {"sleep_s": 300}, store=store)
    running = wait_for(store, holding, lambda r: r.status == "running" and r.pid != old)
    waiting = submit("probe", {}, store=store)
    try:
        os.kill(old, signal.SIGKILL)  # the warm worker only: the run it forked goes on, on its own
        wait_until(lambda: not alive(old), 30, "the warm worker to die")
        def reaped():
            store.list_runs()  # listing reaps dead runs, as the Runs page and the lab's live view do
            return not store.get_run(waiting).active

        wait_until(reaped, 30, "the queued run to be reaped")
        run = store.get_run(waiting)
        assert run.status == "failed" and "stopped before the run could start" in run.error
        assert store.get_run(holding).status == "running" and alive(running.pid)
        store.request_cancel(holding)  # the orphaned run still reads its cancel and records how it ended
        assert wait_for(store, holding, lambda r: not r.active).status == "cancelled"

        assert warm_worker_info(data_dir) is None
        after = finished(store, submit("probe", {}, store=store))
        assert after.summary["ppid"] != old and after.summary["ppid"] == warm_worker_info(data_dir)["pid"]
    finally:
        if alive(running.pid):
            os.kill(running.pid, signal.SIGKILL)


def test_without_the_warm_worker_a_run_gets_a_supervisor_of_its_own(store, data_dir, monkeypatch):
    monkeypatch.setenv("REPLEARN_WARM_WORKER", "0")
    run = finished(store, submit("probe", {}, store=store))
    assert "supervise" in run.summary["parent_args"] and run.id in run.summary["parent_args"]
    assert "execute" in run.summary["own_args"]  # a new program, which imported torch itself
    assert not run.summary["ssl_job_imported"]
    assert run.summary["threads"] == 2 and run.summary["omp_wait_policy"] == "ACTIVE"
    assert warm_worker_info(data_dir) is None and not (data_dir / "workers" / INFO_FILE).exists()


def test_stop_warm_workers_also_stops_the_runs_of_a_dead_worker(store, data_dir):
    old = ready_worker(data_dir)["pid"]
    holding = submit("probe", {"sleep_s": 300}, store=store)
    orphan = wait_for(store, holding, lambda r: r.status == "running" and r.pid != old).pid
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: not alive(old), 30, "the warm worker to die")
    assert alive(orphan)
    stop_warm_workers(data_dir)
    assert not alive(orphan)


def test_a_worker_whose_preloading_outlasted_its_idle_time_does_not_leave_when_ready(data_dir):
    """On a busy machine importing torch and drawing the datasets can take longer than the idle time: the idle
    clock starts when the worker is ready, not when it was started (in-process, no worker started)."""
    from replearn_core.runs.warm import WANTED_FILE, WarmWorker
    from replearn_core.runs.worker_settings import WorkerSettings

    worker = WarmWorker(data_dir, lock_fd=-1, token="test", settings=WorkerSettings(idle_s=5))
    asked = workers_dir(data_dir) / WANTED_FILE
    asked.touch()
    long_ago = time.time() - 100
    os.utime(asked, (long_ago, long_ago))  # the page that asked for it, 100 s ago
    worker.last_busy, worker.ready_at = time.monotonic() - 100, long_ago  # started 100 s ago, preloading since
    assert worker._idle_long_enough()  # what the worker did before: it left as soon as it was ready
    worker.mark_ready()
    assert not worker._idle_long_enough()
    worker.store.close()


def test_a_run_killed_in_its_fork_is_marked_failed_by_the_warm_worker(store, data_dir):
    worker = ready_worker(data_dir)["pid"]
    holding = submit("probe", {"sleep_s": 300}, store=store)
    run = wait_for(store, holding, lambda r: r.status == "running" and r.pid != worker)
    os.kill(run.pid, signal.SIGKILL)  # the run's own process (out of memory, a crash in native code)
    run = wait_for(store, holding, lambda r: not r.active)
    assert run.status == "failed" and "killed by SIGKILL" in run.error
    assert alive(worker)  # the worker goes on and takes the next run
    assert finished(store, submit("probe", {}, store=store)).summary["ppid"] == worker
