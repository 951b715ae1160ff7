import copy

import pytest
import torch

from replearn_core.backbones import build_backbone
from replearn_core.training import warmup_cosine
from replearn_core.transfer.finetune import build_optimizer, fine_tune
from replearn_core.transfer.finetune import TransferModel
from replearn_core.transfer.strategies import STRATEGIES, layer_decay_scales, unfreeze_steps


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _changed(before, module):
    return {k for k, v in module.state_dict().items() if not torch.equal(before[k], v)}


def _run(key, tiny_data, config, **hooks):
    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")
    before = [_state(stage) for stage in backbone.stages]
    result = fine_tune(backbone, 4, *tiny_data, STRATEGIES[key], config, torch.device("cpu"), evals=2, **hooks)
    changed = [_changed(b, stage) for b, stage in zip(before, backbone.stages)]
    return backbone, changed, result


def test_linear_probe_changes_no_encoder_weight_or_statistic(tiny_data, tiny_config):
    _, changed, result = _run("linear", tiny_data, tiny_config)
    assert changed == [set(), set(), set()]  # weights, BatchNorm running means and variances all unchanged
    assert result.trainable_params == 128 * 4 + 4  # the head only


def test_partial_freezes_exactly_the_first_k_stages(tiny_data, tiny_config):
    tiny_config.freeze_stages = 2
    backbone, changed, result = _run("partial", tiny_data, tiny_config)
    assert changed[0] == set() and changed[1] == set()
    assert any(k.endswith("weight") for k in changed[2]) and any("running_mean" in k for k in changed[2])
    top = sum(p.numel() for p in backbone.stages[2].parameters())
    assert result.trainable_params == top + 128 * 4 + 4


def test_full_fine_tuning_changes_every_stage(tiny_data, tiny_config):
    _, changed, result = _run("full", tiny_data, tiny_config)
    assert all(changed)
    assert result.trainable_params == result.total_params


def test_lpft_keeps_the_encoder_frozen_during_the_probe(tiny_data, tiny_config):
    tiny_config.probe_fraction = 0.5
    snapshots = {}

    def on_step(state, logs):
        snapshots[state.step] = _state(backbone_ref[0])

    backbone_ref = []
    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")
    backbone_ref.append(backbone)
    start = _state(backbone)
    fine_tune(backbone, 4, *tiny_data, STRATEGIES["lpft"], tiny_config, torch.device("cpu"), evals=1,
              on_step=[on_step])
    total = max(snapshots)
    probe_steps = round(0.5 * total)
    for step in range(1, probe_steps + 1):
        assert all(torch.equal(start[k], v) for k, v in snapshots[step].items()), f"encoder moved at step {step}"
    assert not all(torch.equal(start[k], v) for k, v in snapshots[total].items())


def test_layer_decay_scales_follow_depth_from_the_top():
    assert layer_decay_scales(3, 0.5) == [0.125, 0.25, 0.5]
    assert layer_decay_scales(5, 1.0) == [1.0] * 5


def test_llrd_learning_rates_in_the_optimizer_follow_the_decay_through_the_scheduler():
    model = TransferModel(build_backbone("small_cnn"), 4)
    scales = STRATEGIES["llrd"].lr_scales(3, type("C", (), {"lr_decay": 0.3})())
    optimizer, scheduler = build_optimizer(model, scales, lr=0.1, weight_decay=0.0, total_steps=20, warmup=4)
    params = [p for p in model.parameters()]
    for p in params:
        p.grad = torch.zeros_like(p)
    for step in range(12):
        schedule = warmup_cosine(step, 20, 4)
        lrs = [g["lr"] for g in optimizer.param_groups]
        expected = [0.1 * 0.3 ** 3 * schedule, 0.1 * 0.3 ** 2 * schedule, 0.1 * 0.3 * schedule, 0.1 * schedule]
        assert lrs == pytest.approx(expected, rel=1e-9), f"step {step}"
        optimizer.step()
        scheduler.step()
    # the head learns fastest, the stage next to the input slowest
    lrs = [g["lr"] for g in optimizer.param_groups]
    assert lrs == sorted(lrs) and lrs[0] < lrs[-1]


def test_unfreeze_schedule_goes_top_down_at_the_given_steps():
    assert unfreeze_steps(3, 60) == [30, 15, 0]
    assert unfreeze_steps(3, 100, every=7) == [14, 7, 0]
    assert unfreeze_steps(5, 10, every=1) == [4, 3, 2, 1, 0]
    cfg = type("C", (), {"unfreeze_every": 4})()
    lowest = [STRATEGIES["gradual"].lowest_trainable(s, 20, 3, cfg) for s in range(12)]
    assert lowest == [2] * 4 + [1] * 4 + [0] * 4


def test_gradual_unfreezing_really_trains_stages_in_that_order(tiny_data, tiny_config):
    tiny_config.unfreeze_every = 2
    tiny_config.min_steps = 8
    trainable_at = {}
    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")

    def on_step(state, logs):
        trainable_at[state.step] = [all(p.requires_grad for p in s.parameters()) for s in backbone.stages]

    fine_tune(backbone, 4, *tiny_data, STRATEGIES["gradual"], tiny_config, torch.device("cpu"), evals=1,
              on_step=[on_step])
    # step numbers here count from 1: steps 1-2 run with the top stage only, 3-4 add the middle one, then all
    assert trainable_at[1] == trainable_at[2] == [False, False, True]
    assert trainable_at[3] == trainable_at[4] == [False, True, True]
    assert trainable_at[5] == trainable_at[8] == [True, True, True]


def test_scratch_is_marked_as_not_pretrained_and_everything_else_is():
    assert [k for k, s in STRATEGIES.items() if not s.pretrained] == ["scratch"]
    assert set(STRATEGIES) == {"linear", "logreg", "full", "partial", "llrd", "gradual", "lpft", "scratch"}
    for strategy in STRATEGIES.values():
        assert len(strategy.explanation()) > 100, f"{strategy.key} needs a teaching explanation"


def test_logistic_regression_fits_cached_features(tiny_data):
    from replearn_core.transfer.finetune import fit_logistic_regression

    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")
    before = copy.deepcopy(backbone.state_dict())
    result = fit_logistic_regression(backbone, *tiny_data, torch.device("cpu"), 4)
    assert 0.0 <= result.accuracy <= 1.0
    assert result.trainable_params == 128 * 4 + 4
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items())
