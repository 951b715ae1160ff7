"""A full disk and a run database locked by another program: a clear error, earlier runs intact, SQLite sound.

The full disk is a real one where the test can mount a 4 MB tmpfs (root), else the same failure is injected
(OSError ENOSPC from the checkpoint writer). The lock is held by a second process.
"""

import errno
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from streamlit.testing.v1 import AppTest

from replearn_core.cli import main
from replearn_core.runs import JOBS, RunContext, RunStore, execute_run
from replearn_core.runs.store import _Database
from replearn_core.storage_errors import StoreUnavailable, explain_storage_error

ROOT = Path(__file__).resolve().parents[1]


def writes_metrics_and_a_checkpoint(config, ctx):
    """A job that writes what a real run writes: metrics, then a 1 MB checkpoint."""
    for step in range(200):
        ctx.log(step, loss=1.0 / (step + 1))
    ctx.save_tensors("checkpoint_final", {"w": torch.ones(256 * 1024)}, meta={"backbone": "none"})
    return {"steps": 200}


@pytest.fixture(autouse=True)
def writing_job(monkeypatch):
    monkeypatch.setitem(JOBS, "writes", f"{__name__}:writes_metrics_and_a_checkpoint")


def earlier_run(store) -> str:
    run_id = store.create_run("ssl", {"method": "simclr"})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    ctx.log(1, loss=2.5)
    ctx.save_tensors("checkpoint_final", {"w": torch.arange(100.0)}, meta={"backbone": "none"})
    ctx.close()
    store.finish(run_id, "finished", summary={"knn_acc": 0.61})
    return run_id


def assert_intact(root, run_id) -> None:
    store = RunStore(root)
    try:
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        run = store.get_run(run_id)
        assert run.status == "finished" and run.summary == {"knn_acc": 0.61}
        assert store.metrics(run_id) == {"loss": ([1], [2.5])}
        assert torch.equal(load_file(str(store.artifact(run_id, "checkpoint_final").path))["w"], torch.arange(100.0))
        assert not list(root.glob("runs/*/*.tmp")), "a half-written file was left behind"
        store.create_run("ssl", {})  # and the store takes new runs again
    finally:
        store.close()


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs of its own (needs root); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root); test_a_full_disk_injected covers the same path")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder) -> None:
    with open(folder / "filler", "wb", buffering=0) as f:  # unbuffered: closing it has nothing left to write
        try:
            while True:
                f.write(bytes(1 << 16))
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.mark.parametrize("when", ["before the run is created", "after the run is created"])
def test_a_full_disk_gives_a_clear_error_and_keeps_earlier_runs(small_disk, when):
    root = small_disk / "replearn_data"
    store = RunStore(root)
    earlier = earlier_run(store)
    run_id = store.create_run("writes", {}) if when == "after the run is created" else None
    fill(small_disk)
    with pytest.raises(StoreUnavailable, match=f"The data folder {root} is full.*Runs stored before are intact"):
        run_id = run_id or store.create_run("writes", {})
        execute_run(store, run_id, device=torch.device("cpu"))
    (small_disk / "filler").unlink()
    if run_id:
        assert store.get_run(run_id).status != "finished"
    store.close()
    assert_intact(root, earlier)


def test_a_full_disk_injected(store, monkeypatch):
    """The same failure without a real disk: the checkpoint writer gets ENOSPC."""
    import safetensors.torch

    earlier = earlier_run(store)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", no_space)
    run_id = store.create_run("writes", {})
    with pytest.raises(StoreUnavailable, match="is full"):
        execute_run(store, run_id, device=torch.device("cpu"))
    run = store.get_run(run_id)
    assert run.status == "failed" and run.error.startswith(f"The data folder {store.root} is full")
    monkeypatch.undo()
    assert_intact(store.root, earlier)


def test_storage_errors_are_explained_and_others_left_alone(tmp_path):
    for exc in (sqlite3.OperationalError("database or disk is full"), OSError(errno.ENOSPC, "No space left")):
        assert "is full" in str(explain_storage_error(exc, tmp_path))
    locked = explain_storage_error(sqlite3.OperationalError("database is locked"), tmp_path)
    assert isinstance(locked, StoreUnavailable) and "locked by another program" in str(locked)
    other = sqlite3.OperationalError("no such table: runs")
    assert explain_storage_error(other, tmp_path) is other


@pytest.fixture
def lock_holder(store):
    """Start a second process that holds the run database's write lock for a given time."""
    started = []

    def hold(seconds: float) -> subprocess.Popen:
        code = ("import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
                "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(float(sys.argv[2])); "
                "db.execute('COMMIT')")
        holder = subprocess.Popen([sys.executable, "-c", code, str(store.path), str(seconds)], stdout=subprocess.PIPE,
                                  text=True)
        started.append(holder)
        assert holder.stdout.readline().strip() == "locked"
        return holder

    yield hold
    for holder in started:
        holder.kill()
        holder.wait()


def test_a_short_lock_by_another_process_is_waited_out_and_nothing_is_lost(store, lock_holder):
    earlier = earlier_run(store)
    holder = lock_holder(1.0)
    started = time.monotonic()
    run_id = store.create_run("ssl", {})  # waits for the other transaction, then writes
    assert time.monotonic() - started > 0.5
    assert holder.wait(timeout=30) == 0
    assert store.get_run(run_id).status == "queued"
    assert_intact(store.root, earlier)


def test_a_lock_held_too_long_is_a_clear_error_and_reads_go_on(store, lock_holder, monkeypatch, capsys):
    monkeypatch.setattr(_Database, "BUSY_TIMEOUT_S", 0.5)  # the lab waits 30 s; the test has no such patience
    earlier = earlier_run(store)
    slow = RunStore(store.root)
    lock_holder(60)
    with pytest.raises(StoreUnavailable, match="runs.sqlite is locked by another program.*Nothing was lost"):
        slow.create_run("ssl", {})
    assert [r.id for r in RunStore(store.root).list_runs()] == [earlier]  # a store still opens and reads,
    page = AppTest.from_file(str(ROOT / "pages" / "2_runs.py"), default_timeout=60).run()  # so the Runs page shows
    assert not page.exception and list(page.dataframe[0].value["id"]) == [earlier]  # them while the lock is held
    capsys.readouterr()
    assert main(["train", "--dataset", "digits", "--epochs", "1", "--quiet"]) == 1  # the command line too:
    assert capsys.readouterr().err.startswith("error: The run database")  # one line, no traceback
    slow.close()


def test_a_page_shows_a_storage_error_as_a_message_not_a_traceback(monkeypatch):
    def full(self, *args, **kwargs):  # a fresh data folder on a full disk: the database cannot even be created
        raise StoreUnavailable("The data folder /srv/lab is full: no space left on its disk.")

    monkeypatch.setattr(RunStore, "__init__", full)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/2_runs.py").run()
    assert not at.exception
    assert any("/srv/lab is full" in e.value for e in at.error)


def _live_view_meeting_a_storage_error():
    import streamlit as st

    from replearn_core.storage_errors import StoreUnavailable
    from ui.common import live_fragment

    @live_fragment(run_every=None)
    def live_view():
        st.write("drawn before the failure")
        raise StoreUnavailable("The data folder /srv/lab is full: no space left on its disk.")

    live_view()
    st.write("the rest of the page")


def test_a_live_view_shows_a_storage_error_as_a_message_not_a_traceback():
    """A fragment's timed reruns run outside app.py's try: the fragment itself turns the failure into its
    message (ui.common.live_fragment), and the page around it goes on."""
    at = AppTest.from_function(_live_view_meeting_a_storage_error, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The data folder /srv/lab is full: no space left on its disk."]
    assert [m.value for m in at.markdown] == ["drawn before the failure", "the rest of the page"]


def test_the_labs_live_view_shows_a_database_locked_while_refreshing_as_a_message(data_dir, monkeypatch):
    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes"})

    def locked(self, *args, **kwargs):  # read only by the live view, a fragment
        raise StoreUnavailable("The run database runs.sqlite is locked by another program.")

    monkeypatch.setattr(RunStore, "metrics", locked)
    at = AppTest.from_file(str(ROOT / "pages" / "1_ssl_lab.py"), default_timeout=90).run()
    assert not at.exception
    assert any(run_id in h.value for h in at.subheader)  # the live view drew up to the failure
    assert any("locked by another program" in e.value for e in at.error)
