"""The training loop of a self-supervised run, reporting through callbacks.

Data stays on the device: the training split is moved there once as uint8,
batches are slices of a seeded permutation and are augmented on the device.
The loop knows nothing about the run store or the page; live curves, the
command line's progress bar, checkpoints and cancellation hang off callbacks:

    trainer.add_callback("on_step_end", fn)   # fn(trainer)

Events: on_train_start, on_step_end, on_epoch_end, on_train_end.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import torch

from replearn_core.augment import augment, plain
from replearn_core.data import ImageDataset
from replearn_core.features import encode_images
from replearn_core.device import autocast, prepare_model, to_device_batch
from replearn_core.evaluation import collapse_std, representation_report
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods.base import SSLMethod


class Trainer:
    def __init__(self, method: SSLMethod, train: ImageDataset, bank: ImageDataset, evaluation: ImageDataset,
                 config: TrainConfig, device: torch.device):
        self.method = prepare_model(method, device)
        self.config = config
        self.device = device
        self.train_images = to_device_batch(train.images, device)  # (N, 3, H, W) uint8, once
        self.bank, self.evaluation = bank, evaluation
        self.num_classes = max(bank.num_classes, evaluation.num_classes)
        self.callbacks = defaultdict(list)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.batch_size = min(config.batch_size, len(train))
        self.steps_per_epoch = max(1, len(train) // self.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        params = [p for p in method.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        use_scaler = device.type == "cuda" and not torch.cuda.is_bf16_supported()
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        # state read by callbacks
        self.step = 0
        self.epoch = 0
        self.loss = float("nan")
        self.extra: dict[str, float] = {}
        self.images_per_s = 0.0
        self.train_time_s = 0.0
        self.last_eval: dict[str, float] = {}
        self.stop_reason: str | None = None
        self._started: float | None = None
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda _: self._lr_factor())

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
        warm = min(1.0, (self.step + 1) / warmup_steps)
        return warm * 0.5 * (1 + math.cos(math.pi * self.progress()))

    def add_callback(self, event: str, fn) -> None:
        self.callbacks[event].append(fn)

    def trigger(self, event: str) -> None:
        for fn in self.callbacks[event]:
            fn(self)

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

    def fit(self) -> None:
        self.method.train()
        self.trigger("on_train_start")
        started = self._started = time.perf_counter()
        budget = self.config.time_budget_s
        for self.epoch in range(1, self.config.epochs + 1):
            perm = torch.randperm(len(self.train_images), generator=self.generator).to(self.device)
            for i in range(self.steps_per_epoch):
                t0 = time.perf_counter()
                batch = self.train_images[perm[i * self.batch_size:(i + 1) * self.batch_size]]
                self._train_step(batch)
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
                dt = time.perf_counter() - t0
                self.train_time_s += dt
                rate = len(batch) / max(dt, 1e-9)
                self.images_per_s = rate if self.step == 1 else 0.9 * self.images_per_s + 0.1 * rate
                self.trigger("on_step_end")
                if budget is not None and time.perf_counter() - started >= budget:
                    self.stop_reason = f"time budget of {budget:.0f} s reached"
                    break
            self.trigger("on_epoch_end")
            if self.stop_reason:
                break
        self.trigger("on_train_end")

    def _train_step(self, batch: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, cpu_bf16=True):
            loss, extra = self.method.training_loss(batch, self.generator)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        self.method.after_step(self.progress())
        self.loss = loss.item()
        self.extra = extra
