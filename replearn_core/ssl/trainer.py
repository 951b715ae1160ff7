"""The trainer of a self-supervised run: its data, optimizer, schedule and evaluation around the one loop.

Data stays on the device: the training split is moved there once as uint8,
batches are slices of a seeded permutation and are augmented on the device.
The loop is :func:`replearn_core.training.fit`, and what a run reports hangs off its callbacks, which
:meth:`Trainer.fit` passes through: the step callback of every job (:func:`replearn_core.training.report_steps`:
live curves, the NaN check, cancel, progress) and the job's own epoch callbacks (evaluation, checkpoints)::

    trainer.fit(on_step=[report_steps(ctx, trainer.optimizer)], on_epoch=[evaluate])
"""

from __future__ import annotations

import math
import time
from typing import Callable, Iterable

import torch

from replearn_core.augment import augment, plain
from replearn_core.data import ImageDataset
from replearn_core.features import encode_images
from replearn_core.device import prepare_model, to_device_batch
from replearn_core.evaluation import collapse_std, representation_report
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods.base import SSLMethod
from replearn_core.training import FitState, fit, warmup_cosine


class Trainer:
    def __init__(self, method: SSLMethod, train: ImageDataset, bank: ImageDataset, evaluation: ImageDataset,
                 config: TrainConfig, device: torch.device):
        self.method = prepare_model(method, device).train()  # in training mode from here: what is scored
        # before the first step (the untrained baseline) sees the method as the first step does
        self.config = config
        self.device = device
        self.train_images = to_device_batch(train.images, device)  # (N, 3, H, W) uint8, once
        self.bank, self.evaluation = bank, evaluation
        self.num_classes = max(bank.num_classes, evaluation.num_classes)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.batch_size = min(config.batch_size, len(train))
        self.steps_per_epoch = max(1, len(train) // self.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        params = [p for p in method.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        # state read by callbacks: the loop's (step, epoch, loss, images/s, train time, stop reason) and these
        self.state = FitState(total_steps=self.total_steps, epochs=config.epochs)
        self.last_eval: dict[str, float] = {}
        self._started: float | None = None
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda _: self._lr_factor())

    step = property(lambda self: self.state.step)
    epoch = property(lambda self: self.state.epoch)
    loss = property(lambda self: self.state.loss)
    images_per_s = property(lambda self: self.state.images_per_s)
    train_time_s = property(lambda self: self.state.train_time_s)
    stop_reason = property(lambda self: self.state.stop_reason)

    def progress(self) -> float:
        """How far training is, 0 to 1: by steps, or by time when a time budget ends it sooner."""
        by_steps = self.step / self.total_steps
        budget = self.config.time_budget_s
        if budget and self._started is not None:
            return min(1.0, max(by_steps, (time.perf_counter() - self._started) / budget))
        return min(1.0, by_steps)

    def _lr_factor(self) -> float:
        """Linear warm-up over the first 5 % of the steps (at most 100; 10 when a time budget may end
        training early), then cosine decay to 0 over the steps or the budget, whichever ends first."""
        warmup_steps = max(1, min(10 if self.config.time_budget_s else 100, int(0.05 * self.total_steps)))
        return warmup_cosine(self.step, self.total_steps, warmup_steps, progress=self.progress())

    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """kNN accuracy, collapse meter, effective rank, alignment and uniformity of the backbone now."""
        backbone = self.method.backbone
        was_training = backbone.training
        backbone.eval()
        bank = self._encode(plain, self.bank.images)
        evaluation = self._encode(plain, self.evaluation.images)
        g = torch.Generator().manual_seed(12345)  # the same pairs of views at every evaluation
        recipe = self.method.recipe
        n = min(len(self.evaluation), 512)
        view1 = self._encode(lambda x: augment(x, recipe, g), self.evaluation.images[:n])
        view2 = self._encode(lambda x: augment(x, recipe, g), self.evaluation.images[:n])
        was_method_training = self.method.training
        self.method.eval()
        embedded = self._encode(plain, self.evaluation.images[:n], self.method.collapse_embedding)
        self.method.train(was_method_training)
        backbone.train(was_training)
        self.last_eval = representation_report(bank, self.bank.labels, evaluation, self.evaluation.labels,
                                               view1, view2, k=self.config.knn_k, num_classes=self.num_classes)
        self.last_eval["collapse_std"] = collapse_std(embedded)
        self.last_eval["collapse_ref"] = 1 / math.sqrt(embedded.shape[1])
        return self.last_eval

    def _encode(self, transform, images: torch.Tensor, model=None) -> torch.Tensor:
        """Features (N, D) on the CPU of the method's representation (its backbone unless it says otherwise) or
        of ``model``, through features.encode_images."""
        return encode_images(model or self.method.representation(), images, self.device, transform=transform)

    def fit(self, on_step: Iterable[Callable[[FitState, dict], None]] = (),
            on_epoch: Iterable[Callable[[FitState], None]] = ()) -> FitState:
        """Train through the one loop (:func:`replearn_core.training.fit`), which calls every ``on_step(state,
        logs)`` after each step and every ``on_epoch(state)`` after each epoch; returns the final state."""
        self.method.train()
        self._started = time.perf_counter()

        def batches(epoch: int):
            perm = torch.randperm(len(self.train_images), generator=self.generator).to(self.device)
            for i in range(self.steps_per_epoch):
                yield self.train_images[perm[i * self.batch_size:(i + 1) * self.batch_size]]

        def step(batch: torch.Tensor, state: FitState):
            return self.method.training_loss(batch, self.generator)  # (loss, the values to log beside it)

        return fit(batches, step, optimizer=self.optimizer, scheduler=self.scheduler, device=self.device,
                   epochs=self.config.epochs, total_steps=self.total_steps, time_budget_s=self.config.time_budget_s,
                   cpu_bf16=True, after_update=lambda state: self.method.after_step(self.progress()),
                   on_step=on_step, on_epoch=on_epoch, state=self.state)
