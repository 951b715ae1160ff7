"""The one training loop: :func:`fit` runs the steps, a capability supplies what one step computes.

Every capability's job builds its model, optimizer and batches and hands :func:`fit` a ``step`` function
that turns one batch into a loss (and the extra curves it wants logged). :func:`fit` owns what each loop
used to write its own way:

- zeroing the gradients, mixed precision (``device.autocast``) and, on a GPU without bf16, a GradScaler;
- the backward pass, the optimizer and the learning-rate scheduler's step;
- the wall-clock time of each step (synchronised on CUDA) and the images/s meter;
- the time budget, and the callbacks after each step and each epoch.

What a run reports (curves to the run store, the NaN check, cancel, progress) hangs off those callbacks:
:func:`report_steps` is the one used by the jobs. ``fit`` itself knows nothing of the run store, so the
command line, the pages and the tests drive it the same way::

    state = fit(batches, step, optimizer=opt, scheduler=sched, device=device, epochs=10,
                total_steps=10 * len(sampler), on_step=[report_steps(ctx, opt)], on_epoch=[evaluate])
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch

from replearn_core.device import autocast


@dataclass
class FitState:
    """Where training is: read by the step function and the callbacks."""
    total_steps: int
    epochs: int
    step: int = 0  # optimizer steps done
    epoch: int = 0  # the epoch under way (1-based), or the last one when training has ended
    loss: float = float("nan")  # the last step's loss
    images_per_s: float = 0.0  # smoothed training speed (images in a batch / the step's wall-clock time)
    train_time_s: float = 0.0  # time inside steps (data on the device, forward, backward, update)
    stop_reason: str | None = None  # set when the time budget (or a callback) ends training early
    started: float = field(default_factory=time.perf_counter)

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


def warmup_cosine(step: int, total_steps: int, warmup_steps: int, progress: float | None = None) -> float:
    """The learning-rate factor of the self-supervised and metric-learning runs: a linear warm-up over
    ``warmup_steps``, then a cosine decay to 0 at ``progress`` 1 (``step / total_steps`` unless given: a time
    budget may end training sooner)."""
    warm = min(1.0, (step + 1) / max(1, warmup_steps))
    done = min(step / max(1, total_steps), 1.0) if progress is None else progress
    return warm * 0.5 * (1 + math.cos(math.pi * done))


def grad_scaler(device: torch.device) -> torch.amp.GradScaler | None:
    """A GradScaler where mixed precision is fp16 (a CUDA GPU without bf16), else None: bf16 and fp32 need none."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.amp.GradScaler("cuda")
    return None


def fit(batches: Callable[[int], Iterable], step: Callable[[object, FitState], tuple[torch.Tensor, dict]], *,
        optimizer: torch.optim.Optimizer | None, device: torch.device, epochs: int, total_steps: int,
        scheduler=None, time_budget_s: float | None = None, batch_images: Callable[[object], int] = len,
        on_step: Iterable[Callable[[FitState, dict], None]] = (), on_epoch: Iterable[Callable[[FitState], None]] = (),
        cpu_bf16: bool = False, after_update: Callable[[FitState], None] | None = None,
        state: FitState | None = None) -> FitState:
    """Train for ``epochs`` passes, each over ``batches(epoch)``; returns the final :class:`FitState`.

    ``step(batch, state)`` runs under autocast and returns ``(loss, logs)``: the loss to minimise and extra
    values to log (floats or 0-d tensors). After the update ``after_update(state)`` runs (a momentum
    encoder's update), then every ``on_step(state, logs)``; after each epoch every ``on_epoch(state)``.
    Training stops after the epoch in which the time budget ran out or a callback set ``state.stop_reason``.
    ``optimizer`` None: the step updates its models itself (a GAN's two updates, each with its own optimizer)
    and returns its loss as a number; ``fit`` then neither autocasts nor steps anything.
    ``state``: a FitState to fill in (whose fields a caller's scheduler reads), else a new one.
    """
    state = state or FitState(total_steps=total_steps, epochs=epochs)
    scaler = grad_scaler(device)
    on_step, on_epoch = list(on_step), list(on_epoch)
    state.started = time.perf_counter()
    for state.epoch in range(1, epochs + 1):
        source = iter(batches(state.epoch))
        while True:
            t0 = time.perf_counter()
            batch = next(source, None)  # drawing the batch (indexing, augmentation) counts as step time
            if batch is None:
                break
            if optimizer is None:  # the step updates its models itself
                loss, logs = step(batch, state)
            else:
                optimizer.zero_grad(set_to_none=True)
                with autocast(device, cpu_bf16=cpu_bf16):
                    loss, logs = step(batch, state)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
            if scheduler is not None:
                scheduler.step()
            state.step += 1
            if after_update is not None:
                after_update(state)
            if device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            state.train_time_s += dt
            rate = batch_images(batch) / max(dt, 1e-9)
            state.images_per_s = rate if state.step == 1 else 0.9 * state.images_per_s + 0.1 * rate
            state.loss = _number(loss)
            for callback in on_step:
                callback(state, logs)
            if time_budget_s is not None and state.elapsed_s() >= time_budget_s:
                state.stop_reason = f"time budget of {time_budget_s:.0f} s reached"
            if state.stop_reason:
                break
        for callback in on_epoch:
            callback(state)
        if state.stop_reason:
            break
    return state


def report_steps(ctx, optimizer: torch.optim.Optimizer, *, label: str = "loss", suffix: str = "",
                 meters: bool = True, what: str = "", progress_range: tuple[float, float] = (0.0, 1.0),
                 progress_every: int = 5) -> Callable[[FitState, dict], None]:
    """The step callback of a job's run (``ctx``: its RunContext): stop on a NaN or infinite loss (named
    ``label`` in the message), log the loss and learning rate (keys ending in ``suffix``), the images/s meter
    and the epoch (when ``meters``) and the step's own values, stop on cancel, and report progress every
    ``progress_every`` steps within ``progress_range`` of the run's bar (``what``: a prefix of its message)."""
    lo, hi = progress_range

    def callback(state: FitState, logs: dict) -> None:
        ctx.check_finite(label, state.loss, state.step)
        values = {f"loss{suffix}": state.loss, **{k: _number(v) for k, v in logs.items()},
                  f"lr{suffix}": optimizer.param_groups[0]["lr"]}
        if meters:
            values.update(images_per_s=state.images_per_s, epoch=state.epoch)
        ctx.log(state.step, **values)
        ctx.check_cancel()
        if state.step % progress_every == 0:
            ctx.progress(lo + (hi - lo) * state.step / state.total_steps,
                         f"{what}epoch {state.epoch}/{state.epochs}, step {state.step}/{state.total_steps}")

    return callback


def _number(value) -> float:
    return value.item() if isinstance(value, torch.Tensor) else float(value)
