import torch

from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.cyclegan.fruit import make_fruit
from replearn_core.cyclegan.images import to_signed
from replearn_core.cyclegan.job import checkpoint_steps
from replearn_core.cyclegan.trainer import CycleGANTrainer
from replearn_core.runs.jobs import execute_run

TINY = dict(dataset="fruit", image_size=64, ngf=4, ndf=4, n_blocks=1, max_train_images=6, sample_every=3,
            sample_images=2, checkpoints=2)


def test_a_few_steps_lower_the_cycle_loss():
    torch.manual_seed(0)
    cfg = CycleGANConfig(ngf=8, ndf=8, n_blocks=2, lr=1e-3, lambda_identity=0.0, decay_start=1.0)
    trainer = CycleGANTrainer(cfg, torch.device("cpu"), total_steps=30)
    a = to_signed(make_fruit("apple", 4, 32, seed=5))  # 32 px: the networks take any size divisible by 4
    b = to_signed(make_fruit("orange", 4, 32, seed=5))
    losses = [trainer.step(a[i % 4:i % 4 + 1], b[i % 4:i % 4 + 1]).loss_cycle for i in range(30)]
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.7 * first, (first, last)


def test_batches_above_one_and_linear_decay():
    cfg = CycleGANConfig(ngf=4, ndf=4, n_blocks=1, batch_size=3, decay_start=0.5)
    trainer = CycleGANTrainer(cfg, torch.device("cpu"), total_steps=4)
    x = to_signed(make_fruit("apple", 3, 64))
    lrs = []
    for _ in range(4):
        out = trainer.step(x, x.flip(-1))
        lrs.append(trainer.opt_G.param_groups[0]["lr"])
    assert out.time_G > 0 and out.time_D > 0
    assert lrs[0] == lrs[1] == 2e-4 and 0 < lrs[2] < lrs[1] and lrs[-1] == 0.0  # constant for half, then down to 0


def test_checkpoint_steps_are_evenly_spaced_and_end_at_the_last_step():
    assert checkpoint_steps(100, 4) == [25, 50, 75, 100]
    assert checkpoint_steps(3, 5) == [1, 2, 3]


def test_job_logs_losses_and_stores_filmstrip_and_checkpoints(store):
    run_id = store.create_run("cyclegan", TINY)
    summary = execute_run(store, run_id)
    assert store.get_run(run_id).status == "finished"
    assert summary["steps"] == 6 and summary["images_per_s"] > 0
    metrics = store.metrics(run_id)
    for key in ("loss_G", "loss_D", "loss_cycle", "loss_identity"):
        assert len(metrics[key][1]) == 6
    samples = store.artifacts(run_id, kind="samples")
    assert [a.step for a in samples] == [0, 3, 6]
    assert samples[0].path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = [a.name for a in store.artifacts(run_id, kind="checkpoint")]
    assert names == ["checkpoint_step_000003", "checkpoint_step_000006", "checkpoint_final"]


def test_bad_settings_fail_with_a_message(store):
    import pytest

    with pytest.raises(ValueError, match="image size"):
        CycleGANConfig(image_size=100).validate()
    with pytest.raises(ValueError, match="unknown CycleGAN setting"):
        CycleGANConfig.from_dict({"size": 64})
