"""The "cyclegan" job: train both translations, log the losses, keep a filmstrip and checkpoints.

Registered in :mod:`replearn_core.runs.jobs` as ``cyclegan``; the page queues it
with ``submit("cyclegan", config)``, the command line runs it in the foreground.

Logged metrics (per step): ``loss_G``, ``loss_D``, ``loss_G_adv``, ``loss_cycle``,
``loss_identity``, ``lr``; every few steps ``images_per_s`` (one image of each
domain per pair). Artifacts: ``samples_step_<N>.png`` (kind ``samples``: rows
real A, A→B, A→B→A, real B, B→A, B→A→B of the fixed test images) and
``checkpoint_step_<N>`` (kind ``checkpoint``: both generators, meta step/epoch),
the last one also as ``checkpoint_final``.
"""

from __future__ import annotations

import math
import os
import time

import torch

from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.cyclegan.data import load_domains
from replearn_core.cyclegan.images import grid, png_bytes, to_signed, to_uint8
from replearn_core.cyclegan.trainer import CycleGANTrainer
from replearn_core.device import to_device_batch
from replearn_core.i18n import Message
from replearn_core.training import FitState, fit

SAMPLE_ROWS = ("real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B")


def checkpoint_steps(total_steps: int, count: int) -> list[int]:
    """Evenly spaced steps at which generator checkpoints are saved; the last is the final step."""
    return sorted({max(1, round(total_steps * (k + 1) / count)) for k in range(count)})


def run_cyclegan(config: dict, ctx) -> dict:
    cfg = CycleGANConfig.from_dict(config).validate()
    device = ctx.device
    if device.type == "cpu":
        # Half the logical cores (the physical ones on a hyper-threaded laptop), leaving room for the web
        # server: on a busy 2-core machine 2 threads ran 6× slower than 1 (bench/cyclegan.py --threads).
        torch.set_num_threads(cfg.cpu_threads or max(1, (os.cpu_count() or 2) // 2))
    torch.manual_seed(cfg.seed)
    ctx.progress(0.0, "loading images")
    train = load_domains(cfg.dataset, "train", cfg.image_size, limit=cfg.max_train_images,
                         progress=lambda done, total: ctx.progress(0.0, f"downloading {done / 2**20:.0f} MB"))
    test = load_domains(cfg.dataset, "test", cfg.image_size, limit=cfg.sample_images)
    ctx.check_cancel()
    images_a = train.a.to(device)  # (Na, 3, S, S) uint8, kept on the device for the whole run
    images_b = train.b.to(device)
    steps_per_epoch = math.ceil(max(len(images_a), len(images_b)) / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    trainer = CycleGANTrainer(cfg, device, total_steps)
    sample_a = to_device_batch(to_signed(test.a[:cfg.sample_images]), device)
    sample_b = to_device_batch(to_signed(test.b[:cfg.sample_images]), device)
    keep_at = set(checkpoint_steps(total_steps, cfg.checkpoints))
    g = torch.Generator().manual_seed(cfg.seed)

    def save_samples(step: int) -> None:
        out = trainer.translate(sample_a, sample_b)
        picture = grid([to_uint8(out[k]) for k in SAMPLE_ROWS])
        ctx.save_bytes(f"samples_step_{step:06d}.png", png_bytes(picture), kind="samples", step=step,
                       meta={"step": step, "rows": ",".join(SAMPLE_ROWS)})

    def save_checkpoint(step: int, epoch: int, final: bool) -> None:
        meta = {"step": step, "epoch": epoch, "ngf": cfg.ngf, "n_blocks": cfg.n_blocks,
                "image_size": cfg.image_size, "dataset": cfg.dataset}
        tensors = trainer.generator_tensors()
        ctx.save_tensors(f"checkpoint_step_{step:06d}", tensors, kind="checkpoint", step=step, meta=meta)
        if final:
            ctx.save_tensors("checkpoint_final", tensors, kind="checkpoint", step=step, meta=meta)

    save_samples(0)
    notes = list(train.notes)
    times = {"G": 0.0, "D": 0.0}
    recent: list = []
    window = {"start": time.perf_counter(), "steps": 0}

    def batches(epoch: int):
        order_a = torch.randperm(len(images_a), generator=g)
        order_b = torch.randperm(len(images_b), generator=g)
        for i in range(steps_per_epoch):
            ctx.check_cancel()
            idx = torch.arange(i * cfg.batch_size, (i + 1) * cfg.batch_size)
            batch_a = images_a[order_a[idx % len(images_a)].to(device)]  # (B, 3, S, S) uint8
            batch_b = images_b[order_b[idx % len(images_b)].to(device)]
            flip = torch.rand(2, generator=g) < 0.5  # the paper's only augmentation besides cropping
            if flip[0]:
                batch_a = batch_a.flip(-1)
            if flip[1]:
                batch_b = batch_b.flip(-1)
            yield to_device_batch(to_signed(batch_a), device), to_device_batch(to_signed(batch_b), device)

    def step(batch, state: FitState):  # both updates (generators, then discriminators) in the trainer
        losses = trainer.step(*batch)
        times["G"] += losses.time_G
        times["D"] += losses.time_D
        return losses.loss_G, {"losses": losses}

    def report(state: FitState, logs: dict) -> None:
        nonlocal recent
        losses, step = logs["losses"], state.step
        window["steps"] += 1
        ctx.check_finite("loss_G", losses.loss_G, step)
        ctx.check_finite("loss_D", losses.loss_D, step)
        recent = (recent + [losses])[-20:]
        metrics = dict(loss_G=losses.loss_G, loss_D=losses.loss_D, loss_G_adv=losses.loss_G_adv,
                       loss_cycle=losses.loss_cycle, loss_identity=losses.loss_identity,
                       lr=trainer.opt_G.param_groups[0]["lr"], epoch=state.epoch)
        if window["steps"] >= 10:
            now = time.perf_counter()
            metrics["images_per_s"] = window["steps"] * cfg.batch_size / max(now - window["start"], 1e-9)
            window.update(start=now, steps=0)
        ctx.log(step, **metrics)
        # the budget counts training steps only (not samples and checkpoints), as bench/cyclegan*.py measure it
        out_of_time = cfg.time_budget_s is not None and state.train_time_s >= cfg.time_budget_s
        last = step == total_steps or out_of_time
        if step % cfg.sample_every == 0 or last:
            save_samples(step)
        if step in keep_at or last:
            save_checkpoint(step, state.epoch, final=last)
        ctx.progress(step / total_steps, f"epoch {state.epoch}/{cfg.epochs} · step {step}/{total_steps} · "
                                         f"cycle {losses.loss_cycle:.3f}")
        if out_of_time:
            state.stop_reason = "time budget"
            notes.append(Message("cyclegan.time_budget", seconds=cfg.time_budget_s, step=step))

    state = fit(batches, step, optimizer=None, device=device, epochs=cfg.epochs, total_steps=total_steps,
                on_step=[report])
    step, epoch, train_time, time_g, time_d = state.step, state.epoch, state.train_time_s, times["G"], times["D"]

    def mean(key):
        return sum(getattr(r, key) for r in recent) / max(1, len(recent))

    return {
        "steps": step, "epochs_done": epoch, "image_size": cfg.image_size, "dataset": train.name,
        "loss_G": mean("loss_G"), "loss_D": mean("loss_D"), "loss_cycle": mean("loss_cycle"),
        "loss_identity": mean("loss_identity"),
        "images_per_s": step * cfg.batch_size / max(train_time, 1e-9),
        "steps_per_s": step / max(train_time, 1e-9),
        "generator_share": time_g / max(time_g + time_d, 1e-9),
        "train_time_s": train_time, "notes": notes,
    }
