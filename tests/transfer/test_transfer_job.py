import csv
import io
import json

import pytest
import torch

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import load_run_encoder
from replearn_core.runs.jobs import execute_run
from replearn_core.transfer.config import SupervisedConfig, TransferConfig
from replearn_core.transfer.job import comparison_curves, results_csv
from replearn_core.transfer.strategies import STRATEGIES

TINY = dict(dataset="digits", image_size=16, epochs=1, min_steps=3, batch_size=64, max_train_images=200,
            eval_images=40)


def test_comparison_job_fills_the_table_curves_and_results(store):
    config = TransferConfig(strategies=["linear", "logreg", "llrd", "scratch"], fractions=[0.1, 1.0], **TINY)
    run_id = store.create_run("transfer", config.to_dict())
    summary = execute_run(store, run_id)
    assert store.get_run(run_id).status == "finished"
    table = summary["table"]
    assert [(r["strategy"], r["fraction"]) for r in table] == [
        (s, f) for f in (0.1, 1.0) for s in ("linear", "logreg", "llrd", "scratch")]
    by = {(r["strategy"], r["fraction"]): r for r in table}
    # the same subset for every strategy: a tenth of each class, rounded up
    assert by["linear", 0.1]["n_labels"] == by["llrd", 0.1]["n_labels"] == by["scratch", 0.1]["n_labels"]
    assert 20 <= by["linear", 0.1]["n_labels"] <= 29
    assert by["linear", 1.0]["n_labels"] == 200
    assert by["linear", 1.0]["trainable_params"] == 128 * 10 + 10
    assert by["llrd", 1.0]["trainable_params"] == by["llrd", 1.0]["total_params"]
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["train_time_s"] >= 0 for r in table)
    curves = comparison_curves(store, run_id)
    assert set(curves["acc"]) == {f"{s}@{f:g}" for s in ("linear", "logreg", "llrd", "scratch") for f in (0.1, 1)}
    assert "logreg@0.1" not in curves["loss"] and len(curves["loss"]["llrd@1"][0]) == 4  # 200 images / 64 a batch
    assert "won with" in summary["recommendation"]
    stored = json.loads(store.artifact(run_id, "results.json").path.read_text())
    assert stored["table"] == table
    rows = list(csv.DictReader(io.StringIO(results_csv(table))))
    assert len(rows) == 8 and rows[0]["strategy"] == "linear" and float(rows[0]["accuracy"]) == table[0]["accuracy"]


def test_bad_settings_are_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown strategy 'fancy'"):
        TransferConfig(strategies=["fancy"]).validate(STRATEGIES)
    with pytest.raises(ValueError, match="within \\(0, 1\\]"):
        TransferConfig(fractions=[0.0, 0.5]).validate(STRATEGIES)
    with pytest.raises(ValueError, match="unknown setting"):
        TransferConfig.from_dict({"epochz": 3})


def test_supervised_run_saves_encoder_checkpoints_usable_for_transfer(store):
    config = SupervisedConfig(dataset="shapes", epochs=2, image_size=16, max_train_images=64, eval_images=32,
                              batch_size=32)
    run_id = store.create_run("supervised", config.to_dict())
    summary = execute_run(store, run_id)
    assert summary["steps"] == 4 and 0 <= summary["test_acc"] <= 1
    names = [a.name for a in store.artifacts(run_id, kind="checkpoint")]
    assert names == ["checkpoint_epoch_1", "checkpoint_epoch_2", "checkpoint_final"]
    encoder, run_config = load_run_encoder(store, run_id)
    assert run_config["dataset"] == "shapes"
    assert not torch.equal(encoder.state_dict()["stages.0.0.weight"],
                           (torch.manual_seed(0), build_backbone("small_cnn"))[1].state_dict()["stages.0.0.weight"])
    transfer = TransferConfig(encoder=run_id, strategies=["linear"], fractions=[0.5], **TINY)
    t_id = store.create_run("transfer", transfer.to_dict())
    out = execute_run(store, t_id)
    assert out["encoder"] == run_id and out["source_dataset"] == "shapes"
