"""Reference runs: export a run into an assets folder, register it in a fresh store, read-only, loadable."""

import importlib.util
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import encoder_tensors, read_state_file
from replearn_core.paths import ASSETS_DIR
from replearn_core.runs.context import RunContext
from replearn_core.runs.reference import (MAX_CURVE_POINTS, SIZE_BUDGET_MB, ReferenceAssetError, compact_curves,
                                          export_reference_run, folder_bytes, read_reference_folder,
                                          reference_folders)
from replearn_core.runs.store import ReferenceRunError, RunStore
from replearn_core.runs.reference import open_store as open_with_reference_runs
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS

ROOT = Path(__file__).resolve().parents[2]


def make_finished_run(store: RunStore, method: str = "simclr", seed: int = 1, steps: int = 20) -> str:
    """A finished ssl run with seeded random small_cnn weights, curves and embeddings: no training needed."""
    run_id = store.create_run("ssl", TrainConfig(method=method, backbone="small_cnn").to_dict())
    store.mark_running(run_id, "cpu")
    ctx = RunContext(store, run_id, torch.device("cpu"))
    torch.manual_seed(seed)
    meta = {"backbone": "small_cnn", "method": method, "dataset": "shapes"}
    ctx.save_tensors("checkpoint_epoch_1", encoder_tensors(build_backbone("small_cnn")), step=steps // 2,
                     meta={**meta, "epoch": 1})
    ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=steps,
                     meta={**meta, "epoch": 2})
    ctx.save_tensors("embeddings", {"features": torch.randn(100, 128), "labels": torch.arange(100) % 5},
                     kind="embeddings", step=steps, meta=meta)
    ctx.log(0, knn_acc=0.2)
    for step in range(1, steps + 1):
        ctx.log(step, loss=5.0 - step / steps)
    ctx.log(steps, knn_acc=0.6)
    ctx.close()
    store.finish(run_id, "finished", summary={"method": method, "knn_acc_init": 0.2, "knn_acc": 0.6,
                                              "epochs_done": 2, "steps": steps, "train_time_s": 1800.0})
    return run_id


@pytest.fixture
def assets(tmp_path):
    """An assets folder with reference runs of simclr and byol, exported from a scratch store."""
    folder = tmp_path / "reference_runs"
    scratch = RunStore(tmp_path / "scratch")
    for i, method in enumerate(("simclr", "byol")):
        export_reference_run(scratch, make_finished_run(scratch, method, seed=i), folder)
    scratch.close()
    return folder


@pytest.fixture
def open_store(tmp_path):
    """Open a store on a fresh data folder reading reference runs from ``folder``; closed at the end."""
    opened = []

    def open_(folder, root=None):
        s = open_with_reference_runs(root or tmp_path / "data", reference_runs=folder)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


def test_export_writes_a_float16_encoder_compact_curves_and_the_settings(store, tmp_path):
    run_id = make_finished_run(store, steps=2500)
    folder = export_reference_run(store, run_id, tmp_path / "assets")
    assert folder == tmp_path / "assets" / "simclr"
    assert sorted(p.name for p in folder.iterdir()) == ["embeddings.safetensors", "encoder.safetensors", "run.json"]
    with safe_open(str(folder / "encoder.safetensors"), "pt") as f:
        dtypes = {f.get_tensor(k).dtype for k in f.keys()}
        assert f.metadata()["precision"] == "float16"
    assert dtypes == {torch.float16, torch.int64}  # BatchNorm's step counter stays an integer
    original = store.artifact(run_id, "checkpoint_final").path
    assert (folder / "encoder.safetensors").stat().st_size < 0.55 * original.stat().st_size
    data = json.loads((folder / "run.json").read_text())
    assert data["reference"] is True and data["kind"] == "ssl" and data["source_run"] == run_id
    assert data["config"] == store.get_run(run_id).config and data["train_time_s"] == 1800.0
    assert data["device"] == "cpu" and data["created"] == store.get_run(run_id).created
    steps, values = data["metrics"]["loss"]
    assert len(steps) == MAX_CURVE_POINTS and steps[0] == 1 and steps[-1] == 2500 and values[-1] == 4.0
    assert data["metrics"]["knn_acc"] == [[0, 2500], [0.2, 0.6]]


def test_compact_curves_keep_short_curves_whole_and_write_nan_as_null():
    curves = compact_curves({"loss": ([1, 2, 3], [1.23456789, float("nan"), 2.0])})
    assert curves == {"loss": [[1, 2, 3], [1.23457, None, 2.0]]}
    long = compact_curves({"lr": (list(range(10)), [float(i) for i in range(10)])}, max_points=4)
    assert long["lr"] == [[0, 3, 6, 9], [0.0, 3.0, 6.0, 9.0]]


def test_a_fresh_store_lists_reference_runs_finished_read_only_and_in_place(assets, open_store, tmp_path):
    store = open_store(assets)
    assert store.reference_problems == []
    runs = {r.id: r for r in store.list_runs()}
    assert set(runs) == {"ref-simclr", "ref-byol"}
    run = runs["ref-simclr"]
    assert run.reference and run.status == "finished" and run.kind == "ssl" and not run.active
    assert run.config["method"] == "simclr" and run.summary["knn_acc"] == 0.6 and run.device == "cpu"
    assert store.metrics("ref-simclr")["knn_acc"] == ([0, 20], [0.2, 0.6])
    assert store.best_metric("ref-simclr", "knn_acc") == 0.6
    checkpoint = store.artifact("ref-simclr", "checkpoint_final")
    assert checkpoint.path == (assets / "simclr" / "encoder.safetensors").resolve()  # read in place
    assert not (tmp_path / "data" / "runs" / "ref-simclr").exists()  # nothing copied into the data folder
    with pytest.raises(ReferenceRunError, match="read-only and cannot be deleted"):
        store.delete_run("ref-simclr")
    with pytest.raises(ReferenceRunError, match="cannot be cancelled"):
        store.request_cancel("ref-simclr")
    assert store.get_run("ref-simclr").reference and checkpoint.path.is_file()
    mine = store.create_run("ssl", {"method": "byol"})
    assert not store.get_run(mine).reference
    store.finish(mine, "finished")
    store.delete_run(mine)  # the user's own runs are deleted as before


def test_the_encoder_loads_as_float32_for_transfer_and_feature_maps(assets, open_store):
    from replearn_core.projection import run_features
    from replearn_core.runs.reference import reference_note
    from replearn_core.transfer.encoders import load_encoder
    from replearn_core.transfer.lab import encoder_choices
    from ui.common import run_label

    store = open_store(assets)
    model, info = load_encoder("ref-simclr", store=store)
    assert info["source"] == "simclr" and info["backbone"] == "small_cnn"
    reference = read_state_file(assets / "simclr" / "encoder.safetensors")
    assert all(v.dtype in (torch.float32, torch.int64) for v in reference.values())
    state = model.state_dict()
    assert all(state[k].dtype == torch.float32 for k in state if state[k].is_floating_point())
    torch.manual_seed(0)  # the weights of make_finished_run(seed=0)'s final checkpoint, in float32
    build_backbone("small_cnn")
    original = encoder_tensors(build_backbone("small_cnn"))
    for key, value in state.items():
        assert torch.allclose(value.float(), original["backbone." + key].float(), rtol=1e-3, atol=1e-4), key
    run = store.get_run("ref-simclr")
    assert reference_note(run) == "📌 reference · 2 epochs · 30 min"
    assert run_label(run).startswith("ref-simclr · 📌 reference · 2 epochs · 30 min · simclr")
    choices = encoder_choices(store)
    assert "📌 reference" in choices["ref-simclr"] and "📌 reference" in choices["ref-byol"]
    features = run_features(store, "ref-simclr", split="test")
    assert features["features"].shape[1] == 128 and features["checkpoint"] == "checkpoint_final"


def test_registering_again_is_idempotent_and_follows_the_assets(assets, open_store, tmp_path):
    first = open_store(assets)
    mine = first.create_run("ssl", {"method": "simclr"})
    created = first.artifact("ref-simclr", "checkpoint_final").created
    rows = len(first.metrics("ref-simclr")["loss"][0])
    second = open_store(assets)  # opening again, as a worker process does, changes nothing
    assert second.artifact("ref-simclr", "checkpoint_final").created == created
    assert len(second.metrics("ref-simclr")["loss"][0]) == rows
    run_json = assets / "simclr" / "run.json"
    data = json.loads(run_json.read_text())
    data["name"] = "reference simclr, longer"
    run_json.write_text(json.dumps(data))  # changed content: registered again, not duplicated
    third = open_store(assets)
    assert third.get_run("ref-simclr").name == "reference simclr, longer"
    assert len(third.metrics("ref-simclr")["loss"][0]) == rows
    shutil.rmtree(assets / "byol")  # a folder removed from the assets: its run is forgotten
    fourth = open_store(assets)
    assert {r.id for r in fourth.list_runs()} == {"ref-simclr", mine}
    moved = tmp_path / "moved"
    shutil.copytree(assets, moved)  # a checkout in another place: the store points at the new files
    fifth = open_store(moved)
    assert fifth.artifact("ref-simclr", "checkpoint_final").path.parent == (moved / "simclr").resolve()
    sixth = open_store(tmp_path / "no_such_folder")
    assert {r.id for r in sixth.list_runs()} == {mine} and sixth.reference_problems == []


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "encoder.safetensors").write_bytes(b"\0" * 100), "encoder.safetensors does not match"),
    (lambda f: (f / "encoder.safetensors").unlink(), "encoder.safetensors is missing"),
    (lambda f: (f / "run.json").write_text("{not json"), "run.json is not valid JSON"),
    (lambda f: (f / "run.json").unlink(), "run.json is missing"),
])
def test_a_damaged_asset_is_reported_and_left_out_without_breaking_the_store(assets, open_store, damage, message):
    before = open_store(assets)
    assert {r.id for r in before.list_runs()} == {"ref-simclr", "ref-byol"}
    damage(assets / "byol")
    store = open_store(assets)
    assert len(store.reference_problems) == 1
    problem = store.reference_problems[0]
    assert "reference run byol" in problem and message in problem
    assert "bench/reference_runs.py --methods byol" in problem  # and how to make it again
    assert {r.id for r in store.list_runs()} == {"ref-simclr"}  # the damaged one is no longer offered
    assert store.get_run("ref-simclr").status == "finished"
    with pytest.raises(ReferenceAssetError, match=message):
        read_reference_folder(assets / "byol")


def test_a_file_damaged_after_registering_gives_a_clear_checkpoint_error(assets, open_store):
    from replearn_core.checkpoints import CheckpointError, load_run_encoder

    store = open_store(assets)  # registered while intact; the server keeps this store open
    (assets / "simclr" / "encoder.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="encoder.safetensors is not a readable safetensors file"):
        load_run_encoder(store, "ref-simclr")


def test_an_older_database_gains_the_reference_columns(tmp_path, assets):
    root = tmp_path / "old"
    root.mkdir()
    db = sqlite3.connect(root / "runs.sqlite")
    db.executescript("""CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
        config TEXT NOT NULL, status TEXT NOT NULL, device TEXT, created REAL NOT NULL, started REAL, finished REAL,
        error TEXT, pid INTEGER, heartbeat REAL, cancel_requested INTEGER NOT NULL DEFAULT 0,
        progress REAL NOT NULL DEFAULT 0, message TEXT, summary TEXT);
        INSERT INTO runs (id, kind, name, config, status, created) VALUES ('old-run', 'ssl', 'x', '{}', 'finished', 1);""")
    db.commit()
    db.close()
    store = open_with_reference_runs(root, reference_runs=assets)
    try:
        assert not store.get_run("old-run").reference
        assert {r.id for r in store.list_runs() if r.reference} == {"ref-simclr", "ref-byol"}
        store.delete_run("old-run")
    finally:
        store.close()


def test_the_script_trains_exports_and_resumes_per_method(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("bench_reference_runs", ROOT / "bench" / "reference_runs.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setenv("REPLEARN_DATA", str(tmp_path / "data"))  # the script moves it; restored afterwards
    target = tmp_path / "reference_runs"
    tiny = ["--epochs", "1", "--target", str(target), "--set", "max_train_images=256", "--set", "batch_size=64",
            "--set", "eval_images=64", "--set", "knn_bank_images=256"]
    assert script.main(["--methods", "simclr"] + tiny) == 0
    out = capsys.readouterr().out
    assert "exported" in out and "budget 30 MB" in out
    asset = read_reference_folder(target / "simclr")
    summary = asset.run["summary"]
    assert summary["epochs_done"] == 1 and summary["steps"] == 4 and summary["knn_acc"] is not None
    assert asset.run["config"]["epochs"] == 1 and asset.run["config"]["max_train_images"] == 256
    data = json.loads((target / "simclr" / "run.json").read_text())
    assert data["generated_by"].startswith("bench/reference_runs.py --methods simclr --epochs 1")
    assert {"loss", "knn_acc", "lr"} <= set(data["metrics"])
    assert script.main(["--methods", "simclr"] + tiny) == 0  # already exported: skipped
    assert "skipped" in capsys.readouterr().out
    assert json.loads((target / "simclr" / "run.json").read_text())["source_run"] == data["source_run"]
    assert script.main(["--methods", "simclr", "--force"] + tiny) == 0
    assert json.loads((target / "simclr" / "run.json").read_text())["source_run"] != data["source_run"]
    assert reference_folders(target) == [target / "simclr"]  # no half-written folder left behind
    by_times = ["--times", "0.04"] + tiny[2:]  # 0.04 × SimCLR's default epochs, rounded: one epoch
    assert script.main(["--methods", "simclr", "--force"] + by_times) == 0
    assert read_reference_folder(target / "simclr").run["summary"]["epochs_done"] == round(
        0.04 * TrainConfig(method="simclr").validate(METHODS).epochs)


def test_the_shipped_reference_runs_load_and_fit_the_size_budget():
    folder = ASSETS_DIR / "reference_runs"
    shipped = reference_folders(folder)
    if not shipped:
        pytest.skip("no reference runs shipped yet (bench/reference_runs.py makes them)")
    from replearn_core.ssl.methods import METHODS

    for sub in shipped:
        asset = read_reference_folder(sub)
        assert asset.run["config"]["method"] in METHODS
    assert folder_bytes(folder) / 1e6 <= SIZE_BUDGET_MB
