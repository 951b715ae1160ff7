"""The untrained encoder's step-0 scores (replearn_core/ssl/untrained_baseline.py): an estimate on a sample before
the first step, replaced by the full scores after epoch 1; both checked against Trainer.evaluate."""

import pytest
import torch

from replearn_core.runs import execute_run
from replearn_core.runs.store import RunStore
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.job import prepare_data
from replearn_core.ssl.methods import METHODS, build_method
from replearn_core.ssl.trainer import Trainer
from replearn_core.ssl.untrained_baseline import UntrainedBaseline

TINY = dict(epochs=2, max_train_images=128, knn_bank_images=128, eval_images=64, batch_size=64)
SAMPLE_BANK, SAMPLE_HELD_OUT = 32, 16


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(UntrainedBaseline, "SAMPLE_BANK", SAMPLE_BANK)
    monkeypatch.setattr(UntrainedBaseline, "SAMPLE_HELD_OUT", SAMPLE_HELD_OUT)


@pytest.fixture
def replacements(monkeypatch):
    """Every replace_metrics call with what the store held just before it."""
    calls = []
    original = RunStore.replace_metrics

    def recording(self, run_id, step, values):
        calls.append({"before": self.metrics(run_id), "step": step, "values": dict(values)})
        return original(self, run_id, step, values)

    monkeypatch.setattr(RunStore, "replace_metrics", recording)
    return calls


def untrained_scores(config: TrainConfig, bank_images: int | None = None, held_out_images: int | None = None):
    """What the job's untrained encoder scores, computed as the job builds it (same seed, same data)."""
    config = TrainConfig.from_dict(config.to_dict()).validate(METHODS)
    torch.manual_seed(config.seed)
    train, bank, evaluation = prepare_data(config)
    if bank_images:
        bank, evaluation = bank.take(bank_images, seed=3), evaluation.take(held_out_images, seed=4)
    return Trainer(build_method(config), train, bank, evaluation, config, torch.device("cpu")).evaluate()


def test_step_0_is_first_estimated_on_a_sample_then_replaced_by_the_full_scores(store, small_sample, replacements):
    config = TrainConfig(**TINY)
    run_id = store.create_run("ssl", config.to_dict())
    summary = execute_run(store, run_id, device=torch.device("cpu"))

    assert len(replacements) == 1 and replacements[0]["step"] == 0
    before = replacements[0]["before"]
    assert before["baseline_images"] == ([0], [SAMPLE_HELD_OUT])  # the estimate was there first ...
    assert min(before["loss"][0]) == 1  # ... and training had started on it
    assert before["knn_acc"][0] == [0]  # no epoch has been evaluated yet
    estimate = untrained_scores(config, SAMPLE_BANK, SAMPLE_HELD_OUT)
    assert before["knn_acc"][1][0] == pytest.approx(estimate["knn_acc"])

    after = store.metrics(run_id)
    full = untrained_scores(config)
    assert after["baseline_images"] == ([0], [TINY["eval_images"]])
    assert after["knn_acc"][0].count(0) == 1  # replaced, not added
    assert after["knn_acc"][1][0] == pytest.approx(full["knn_acc"])
    for key in ("collapse_std", "effective_rank", "alignment", "uniformity"):
        assert after[key][0][0] == 0 and after[key][1][0] == pytest.approx(full[key], rel=1e-4, abs=1e-6)
    assert summary["knn_acc_init"] == pytest.approx(full["knn_acc"])
    assert summary["knn_acc"] == after["knn_acc"][1][-1]  # the trained scores are the last epoch's, untouched


def test_an_evaluation_no_larger_than_the_sample_is_scored_once_in_full(store, replacements):
    config = TrainConfig(**dict(TINY, epochs=1))  # 128 bank and 64 held-out images: under the default sample
    run_id = store.create_run("ssl", config.to_dict())
    summary = execute_run(store, run_id, device=torch.device("cpu"))
    assert replacements == []
    metrics = store.metrics(run_id)
    assert metrics["baseline_images"] == ([0], [TINY["eval_images"]])
    assert summary["knn_acc_init"] == pytest.approx(untrained_scores(config)["knn_acc"])
