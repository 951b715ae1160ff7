"""A store that degrades, never breaks: a damaged record, a full disk, a read-only data folder.

Each test is the attack as a student (or a failing disk) makes it: a row's JSON edited in ``sqlite3`` by hand,
a metric turned into text, the disk filling while a checkpoint or a cache file is written (the writer raises
what safetensors raises then), ``REPLEARN_DATA`` on a folder that cannot be written, with the commands run in a
process of their own as a user would.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import SafetensorError
from streamlit.testing.v1 import AppTest

from replearn_core.cli import main
from replearn_core.i18n import translate
from replearn_core.runs import JOBS, RunContext, RunStore, execute_run
from replearn_core.storage_errors import StoreUnavailable

ROOT = Path(__file__).resolve().parents[2]
RUNS_PAGE, LAB = str(ROOT / "pages" / "2_runs.py"), str(ROOT / "pages" / "1_ssl_lab.py")
FULL = "Error while serializing: I/O error: No space left on device (os error 28)"  # safetensors' own words
READ_ONLY = 'Error while serializing: I/O error: Read-only file system (os error 30) at path "{path}/.tmpX1"'


def finished_run(store: RunStore, method: str, knn: float) -> str:
    run_id = store.create_run("ssl", {"method": method, "dataset": "shapes"})
    store.log_metrics(run_id, [(0, "knn_acc", knn / 2), (1, "knn_acc", knn), (1, "loss", 1.5)])
    store.add_warning(run_id, "3 files were skipped")
    store.finish(run_id, "finished", summary={"knn_acc": knn})
    return run_id


def edit(root: Path, sql: str, *args) -> None:
    """What a student with the sqlite3 shell does to the run database, behind the lab's back."""
    with sqlite3.connect(root / "runs.sqlite") as db:
        db.execute(sql, args)


@pytest.fixture
def damaged(data_dir):
    """Three runs: one sound, one whose summary and one whose warnings were edited into invalid JSON."""
    store = RunStore(data_dir)
    sound = finished_run(store, "simclr", 0.61)
    bad_summary = finished_run(store, "byol", 0.55)
    bad_warnings = finished_run(store, "barlow_twins", 0.5)
    store.close()
    edit(data_dir, "UPDATE runs SET summary = ? WHERE id = ?", '{"knn_acc": 0.55', bad_summary)
    edit(data_dir, "UPDATE runs SET warnings = ? WHERE id = ?", "[not json", bad_warnings)
    return {"sound": sound, "summary": bad_summary, "warnings": bad_warnings}


# --- a damaged row or metric is listed as damaged, with what is wrong ------------------------------------------
def test_the_store_reads_a_damaged_row_as_empty_and_names_what_is_wrong(data_dir, damaged):
    store = RunStore(data_dir)
    runs = {run.id: run for run in store.list_runs()}
    assert set(runs) == set(damaged.values())  # every run is still listed
    assert runs[damaged["sound"]].damage == () and runs[damaged["sound"]].summary == {"knn_acc": 0.61}
    bad = store.get_run(damaged["summary"])
    assert bad.summary == {} and bad.config["method"] == "byol" and bad.warnings == ["3 files were skipped"]
    assert len(bad.damage) == 1 and damaged["summary"] in bad.damage[0] and "summary" in bad.damage[0]
    bad = store.get_run(damaged["warnings"])
    assert bad.warnings == [] and bad.summary == {"knn_acc": 0.5}
    assert [getattr(d, "code", None) for d in bad.damage] == ["store.damaged_json"]
    assert "warnings" in bad.damage[0] and damaged["warnings"] in bad.damage[0]
    assert "运行" in bad.damage[0].text("zh")  # shown in the page's language
    # the lab can still write to the damaged run: a new warning starts a sound list
    store.add_warning(damaged["warnings"], "a new warning")
    assert store.get_run(damaged["warnings"]).warnings == ["a new warning"]
    store.close()


def test_the_command_line_lists_a_damaged_run_as_damaged(data_dir, damaged, capsys):
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for run_id in damaged.values():
        assert any(line.startswith(run_id) for line in lines), out  # every run is listed
    row = next(line for line in lines if line.startswith(damaged["summary"]))
    assert "(damaged)" in row and "(damaged)" not in next(line for line in lines if line.startswith(damaged["sound"]))
    assert f"    damaged: Run {damaged['summary']}: its stored summary is damaged (not valid JSON" in out
    assert f"    damaged: Run {damaged['warnings']}: its stored warnings is damaged" in out
    assert main(["runs", "--json"]) == 0
    listed = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert listed[damaged["sound"]]["damage"] == [] and len(listed[damaged["summary"]]["damage"]) == 1


def test_a_metric_edited_into_text_is_named_and_left_out(data_dir, capsys):
    store = RunStore(data_dir)
    run_id = finished_run(store, "simclr", 0.61)
    store.close()
    edit(data_dir, "UPDATE metrics SET value = 'lots' WHERE run_id = ? AND key = 'knn_acc' AND step = 1", run_id)
    assert main(["runs"]) == 0  # the old listing tried to print 'lots' as a number
    out = capsys.readouterr().out
    assert "(damaged)" in out and f"Run {run_id}: 1 stored value(s) of the metric knn_acc are damaged" in out
    assert " 0.305 " in out  # the best sound value
    store = RunStore(data_dir)
    assert store.metrics(run_id)["knn_acc"] == ([0], [0.305])  # the charts get numbers only
    assert store.best_metric(run_id, "knn_acc") == 0.305
    store.close()


def test_the_runs_page_lists_a_damaged_run_and_keeps_working(damaged):
    at = AppTest.from_file(RUNS_PAGE, default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[0].value
    assert set(shown["id"]) == set(damaged.values())
    assert list(shown.loc[shown["id"] == damaged["sound"], "damage"]) == [""]
    assert list(shown.loc[shown["id"] == damaged["summary"], "damage"]) == ["🩹 1"]
    notes = " ".join(w.value for w in at.warning).replace("\\", "")
    assert f"Run {damaged['summary']}: its stored summary is damaged" in notes
    assert f"Run {damaged['warnings']}: its stored warnings is damaged" in notes


def test_the_lab_opens_a_damaged_run_and_names_the_damage(damaged):
    at = AppTest.from_file(LAB, default_timeout=90)
    at.query_params["run"] = damaged["warnings"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(damaged["warnings"] in h.value for h in at.subheader)
    assert any("its stored warnings is damaged" in w.value.replace("\\", "") for w in at.warning)


# --- a full disk during any write gives the documented message --------------------------------------------------
def writes_a_checkpoint(config, ctx):
    ctx.log(1, loss=1.0)
    ctx.save_tensors("checkpoint_final", {"w": torch.ones(1024)}, meta={"backbone": "none"})
    return {}


@pytest.mark.parametrize("failure, message", [(FULL, "store.full"), (READ_ONLY, "store.read_only")])
def test_the_disk_filling_while_a_checkpoint_is_written_gives_the_documented_message(store, monkeypatch, failure,
                                                                                      message):
    import safetensors.torch

    monkeypatch.setitem(JOBS, "writes", f"{__name__}:writes_a_checkpoint")

    def disk_full(tensors, filename, metadata=None):
        raise SafetensorError(failure.format(path=Path(filename).parent))

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    run_id = store.create_run("writes", {})
    documented = translate(f"msg.{message}", "en", root=str(store.root))
    with pytest.raises(StoreUnavailable) as raised:
        execute_run(store, run_id, device=torch.device("cpu"))
    assert str(raised.value) == documented
    run = store.get_run(run_id)
    assert run.status == "failed" and run.error == documented and "os error" not in run.error
    assert getattr(run.error, "code", None) == message  # stored with its code: a page shows it translated
    assert not list(store.run_dir(run_id).glob("*.tmp"))


def test_a_full_disk_while_a_cache_file_is_written_costs_only_the_disk_copy(tmp_path, monkeypatch):
    import safetensors.numpy

    from replearn_core.projection.cache import ArrayCache

    def disk_full(*args, **kwargs):
        raise SafetensorError(FULL)

    monkeypatch.setattr(safetensors.numpy, "save_file", disk_full)
    cache = ArrayCache("features", folder=tmp_path / "cache")
    cache.put("run-1/features", {"x": np.arange(6.0)})  # the old cache let safetensors' error through
    arrays, meta = cache.get("run-1/features")
    assert np.array_equal(arrays["x"], np.arange(6.0)) and meta["key"] == "run-1/features"
    assert not list((tmp_path / "cache").glob("*"))


def test_a_full_disk_while_the_teacher_saves_limits_gives_the_documented_message(store, monkeypatch):
    from replearn_core.runs import access

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(StoreUnavailable) as raised:
        access.save_limits(store, access.User("teacher", "teacher"), max_active_runs=2, max_epochs=5,
                           allowed_backbones=None)
    assert str(raised.value) == translate("msg.store.full", "en", root=str(store.root))


# --- a read-only data folder: one clear error naming it; read-only commands still work ---------------------------
def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REPLEARN_DATA": str(data)}
    return subprocess.run([sys.executable, "-m", "replearn_core", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_help_works_and_a_data_folder_that_cannot_be_made_is_one_clear_error(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    data = tmp_path / "a_file" / "replearn_data"  # mkdir fails (ENOTDIR), as on a read-only disk
    helped = cli(data, "--help")
    assert helped.returncode == 0 and "runs" in helped.stdout and "Traceback" not in helped.stderr, helped.stderr
    listed = cli(data, "runs")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr, listed.stderr
    assert listed.stderr.strip().splitlines() == [
        f"error: {translate('msg.store.not_a_folder', 'en', root=str(data))}"]


def test_no_folder_is_made_when_the_code_is_imported(tmp_path):
    data = tmp_path / "never_made"
    code = ("import importlib, pkgutil, replearn_core, ui\n"
            "for package in (replearn_core, ui):\n"
            "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
            "        if module.name.endswith('__main__'):\n"
            "            continue  # runs the command line\n"
            "        try:\n"
            "            importlib.import_module(module.name)\n"
            "        except ImportError:\n"
            "            pass  # an optional extra (Ray) not installed\n"
            "from replearn_core.cli import build_parser\n"
            "build_parser()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "REPLEARN_DATA": str(data)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not data.exists()


@pytest.fixture
def read_only_folder(tmp_path):
    """A data folder holding one finished run, then made read-only: a tmpfs remounted read-only where the tests
    may mount (root, who ignores permission bits), else the folder's write permission taken away."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                                                   capture_output=True).returncode == 0
    if os.geteuid() == 0 and not mounted:
        pytest.skip("root without the right to mount: a read-only folder cannot be made here; "
                    "test_help_works_and_a_data_folder_that_cannot_be_made_is_one_clear_error covers the error")
    data = mount / "replearn_data"
    store = RunStore(data)
    run_id = finished_run(store, "simclr", 0.61)
    store.close()
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    else:
        data.chmod(0o555)
    yield data, run_id
    if mounted:  # lazily: a page's cached store may still hold the database open
        subprocess.run(["umount", "--lazy", str(mount)], check=False)
    else:
        data.chmod(0o755)


def test_a_read_only_data_folder_lists_runs_and_refuses_writes_with_one_clear_error(read_only_folder):
    data, run_id = read_only_folder
    message = translate("msg.store.read_only", "en", root=str(data))
    helped = cli(data, "--help")
    assert helped.returncode == 0 and "Traceback" not in helped.stderr, helped.stderr
    listed = cli(data, "runs")
    assert listed.returncode == 0, listed.stderr
    assert run_id in listed.stdout and " 0.610 " in listed.stdout
    assert listed.stderr.strip().splitlines() == [f"warning: {message}"]
    trained = cli(data, "train", "--dataset", "digits", "--epochs", "1", "--quiet")
    assert trained.returncode == 1 and trained.stderr.strip().splitlines() == [f"error: {message}"], trained.stderr


def test_the_runs_page_on_a_read_only_data_folder_lists_the_runs_and_says_why_nothing_changes(read_only_folder,
                                                                                          monkeypatch):
    data, run_id = read_only_folder
    monkeypatch.setenv("REPLEARN_DATA", str(data))
    at = AppTest.from_file(RUNS_PAGE, default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["id"]) == [run_id]
    assert any(str(data) in w.value and "read-only" in w.value for w in at.warning)
