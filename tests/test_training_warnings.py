"""Warnings a finished self-supervised run gives: collapse, a kNN accuracy that fell, a loss that did not fall,
a batch larger than the data. Checked on curves with known answers, then end to end through a real run."""

import json

import torch

from replearn_core.cli import main
from replearn_core.ssl.config import TrainConfig
from replearn_core.runs.jobs import execute_run
from replearn_core.ssl.training_warnings import representation_warnings, settings_warnings
from tests.bad_files import NOT_AN_IMAGE, bomb_png

CONFIG = TrainConfig(method="simclr", lr=1.0)


def curves(loss=None, knn=None, collapse_std=0.08, collapse_ref=0.088, rank=60.0):
    """{key: (steps, values)} as the store returns it; a falling loss and a rising kNN by default."""
    loss = loss if loss is not None else [5.5 - 0.01 * i for i in range(200)]
    knn = knn if knn is not None else [0.14, 0.3, 0.4, 0.45]
    return {"loss": (list(range(1, len(loss) + 1)), loss),
            "knn_acc": ([50 * i for i in range(len(knn))], knn),
            "collapse_std": ([0, 200], [0.006, collapse_std]),  # an untrained projection is near 0: only the end counts
            "collapse_ref": ([0, 200], [collapse_ref, collapse_ref]),
            "effective_rank": ([0, 200], [50.0, rank])}


def test_a_healthy_run_has_no_warnings():
    assert representation_warnings(curves(), CONFIG) == []


def test_a_collapsed_meter_is_a_warning_with_the_numbers_and_what_to_try():
    [warning] = representation_warnings(curves(collapse_std=0.001, loss=[5.5] * 200), CONFIG)
    assert "collapsed" in warning and "0.0010" in warning and "0.088" in warning
    assert "lower learning rate (this run: 1)" in warning  # and not a second warning about the flat loss


def test_a_low_effective_rank_alone_is_a_collapse():
    [warning] = representation_warnings(curves(rank=2.6), CONFIG)
    assert "collapsed" in warning and "effective rank 2.6" in warning


def test_simsiam_without_stop_gradient_is_told_to_turn_it_back_on():
    config = TrainConfig(method="simsiam", options={"stop_gradient": False})
    [warning] = representation_warnings(curves(collapse_std=0.002), config)
    assert "turn the stop-gradient back on" in warning


def test_a_knn_accuracy_that_fell_from_its_best_epoch():
    [warning] = representation_warnings(curves(knn=[0.14, 0.5, 0.92, 0.85, 0.80]), CONFIG)
    assert "peaked at 0.920 (step 100) and ended at 0.800" in warning and "fewer epochs" in warning
    assert representation_warnings(curves(knn=[0.14, 0.5, 0.92, 0.90]), CONFIG) == []  # within 0.05: noise


def test_a_flat_loss_is_a_warning_but_a_loss_that_rises_then_falls_is_not():
    flat = [5.5 + 0.02 * ((i * 7) % 5 - 2) for i in range(200)]  # noise around 5.5
    [warning] = representation_warnings(curves(loss=flat), CONFIG)
    assert "did not fall" in warning and "this run: 1" in warning
    moco_like = [6.3 + 0.05 * i for i in range(20)] + [7.3 - 0.01 * i for i in range(180)]  # the queue fills, then
    assert representation_warnings(curves(loss=moco_like), CONFIG) == []
    assert representation_warnings(curves(loss=flat[:10]), CONFIG) == []  # too few steps to judge


def test_a_batch_larger_than_the_training_images():
    [warning] = settings_warnings(TrainConfig(batch_size=128), 40)
    assert "batch size (128) is larger than the 40 training images" in warning
    assert settings_warnings(TrainConfig(batch_size=32), 40) == []


def _folder_with_bad_files(root):
    from PIL import Image

    for c, name in enumerate(("red", "green")):
        (root / name).mkdir(parents=True)
        for i in range(12):
            colour = [40 + 4 * i] * 3
            colour[c] = 255
            Image.new("RGB", (12, 12), tuple(colour)).save(root / name / f"{i}.png")
    (root / "red" / "notes.jpg").write_bytes(NOT_AN_IMAGE)
    (root / "green" / "huge.png").write_bytes(bomb_png())
    return root


TINY = ["--epochs", "1", "--image-size", "16", "--eval-images", "10", "--knn-bank-images", "64", "--quiet"]


def test_a_run_on_a_folder_with_bad_files_warns_on_the_run_and_on_the_command_line(tmp_path, store, capsys):
    root = _folder_with_bad_files(tmp_path / "colours")
    code = main(["train", "--method", "simclr", "--dataset", f"folder:{root}", "--batch-size", "64", *TINY,
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    run = store.get_run(result["run_id"])
    assert run.status == "finished"
    skipped = next(w for w in run.warnings if "skipped 2 file(s)" in w)
    assert "red/notes.jpg (not an image)" in skipped and "green/huge.png (too large" in skipped
    assert any("batch size (64) is larger than the 20 training images" in w for w in run.warnings)  # 24 - 4 held out
    assert result["warnings"] == run.warnings  # the JSON line carries them
    assert f"warning: {skipped}" in err  # and stderr says them
    # the runs listing shows them under the run
    assert main(["runs"]) == 0
    assert f"    warning: {skipped}" in capsys.readouterr().out


def test_a_collapsed_run_is_marked_with_what_to_try(store, monkeypatch):
    import replearn_core.ssl.job as ssl_job

    def collapsing(metrics, config):  # the real check, on curves where the collapse meter ended at 0.001
        metrics["collapse_std"][1][-1] = 0.001
        return representation_warnings(metrics, config)

    monkeypatch.setattr(ssl_job, "representation_warnings", collapsing)
    config = TrainConfig(dataset="digits", epochs=1, max_train_images=64, knn_bank_images=64, eval_images=32,
                         batch_size=32)
    run_id = store.create_run("ssl", config.to_dict())
    execute_run(store, run_id, device=torch.device("cpu"))
    [warning] = store.get_run(run_id).warnings
    assert warning.startswith("The representation collapsed (collapse meter 0.0010")
