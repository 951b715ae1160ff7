"""The one training loop (replearn_core/training.py): what it calls when, the time budget, stopping."""

import math

import torch

from replearn_core.training import FitState, fit, grad_scaler, warmup_cosine


def _problem(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    return x, y


def test_fit_trains_and_reports_every_step_and_epoch():
    x, y = _problem()
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    events = []

    def batches(epoch):
        for i in range(0, 64, 16):
            yield x[i:i + 16], y[i:i + 16]

    def step(batch, state):
        xb, yb = batch
        loss = ((model(xb).squeeze(1) - yb) ** 2).mean()
        return loss, {"half": loss.detach() / 2}

    state = fit(batches, step, optimizer=optimizer, device=torch.device("cpu"), epochs=5, total_steps=20,
                batch_images=lambda b: len(b[0]),
                on_step=[lambda s, logs: events.append(("step", s.step, s.epoch, round(logs["half"].item() * 2, 6),
                                                        round(s.loss, 6)))],
                on_epoch=[lambda s: events.append(("epoch", s.epoch))])
    assert state.step == 20 and state.epoch == 5 and state.stop_reason is None
    assert [e for e in events if e[0] == "epoch"] == [("epoch", k) for k in range(1, 6)]
    steps = [e for e in events if e[0] == "step"]
    assert [e[1] for e in steps] == list(range(1, 21))
    assert all(e[3] == e[4] for e in steps)  # the logged values belong to the step just taken
    assert steps[-1][4] < steps[0][4] / 10  # it learned
    assert state.images_per_s > 0 and 0 < state.train_time_s <= state.elapsed_s()


def test_a_callback_or_the_time_budget_stops_training_after_its_epoch_hooks():
    x, y = _problem()
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    epochs_seen = []

    def step(batch, state):
        return ((model(batch[0]).squeeze(1) - batch[1]) ** 2).mean(), {}

    def stop_at_7(state, logs):
        if state.step == 7:
            state.stop_reason = "enough"

    state = fit(lambda e: [(x[:8], y[:8])] * 4, step, optimizer=optimizer, device=torch.device("cpu"), epochs=10,
                total_steps=40, on_step=[stop_at_7], on_epoch=[lambda s: epochs_seen.append(s.epoch)])
    assert (state.step, state.epoch, state.stop_reason) == (7, 2, "enough")
    assert epochs_seen == [1, 2]  # the stopped epoch still ends (evaluation, checkpoint)
    budget = fit(lambda e: [(x[:8], y[:8])] * 4, step, optimizer=optimizer, device=torch.device("cpu"), epochs=10,
                 total_steps=40, time_budget_s=0.0)
    assert budget.step == 1 and budget.stop_reason == "time budget of 0 s reached"


def test_the_scheduler_and_the_after_update_hook_see_the_step_count():
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    state = FitState(total_steps=10, epochs=1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_cosine(s, 10, 2))
    lrs, after = [], []
    fit(lambda e: [torch.ones(1, 1)] * 10, lambda b, s: (model(b).sum() * 0, {}), optimizer=optimizer,
        scheduler=scheduler, device=torch.device("cpu"), epochs=1, total_steps=10, state=state,
        after_update=lambda s: after.append(s.step),
        on_step=[lambda s, logs: lrs.append(optimizer.param_groups[0]["lr"])])
    assert after == list(range(1, 11)) and state.step == 10
    assert lrs == [warmup_cosine(s, 10, 2) for s in range(1, 11)]


def test_warmup_cosine_rises_then_falls_to_zero():
    assert warmup_cosine(0, 100, 10) == 0.1 * 0.5 * (1 + math.cos(0.0))
    assert warmup_cosine(9, 100, 10) > warmup_cosine(50, 100, 10) > warmup_cosine(99, 100, 10) > 0
    assert warmup_cosine(100, 100, 10) == 0.0 and warmup_cosine(5, 100, 10, progress=1.0) == 0.0


def test_no_grad_scaler_off_cuda():
    assert grad_scaler(torch.device("cpu")) is None
