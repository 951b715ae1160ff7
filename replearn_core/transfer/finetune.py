"""The shared fine-tuning loop: a backbone, a linear head, and a strategy that says what trains when.

Data stays on the device: the labelled images are moved there once as uint8 and
batches are slices of a seeded permutation, augmented on the device (light crop
and flip). The optimizer holds one parameter group per backbone stage plus one
for the head, each with an ``lr_scale``; a single ``LambdaLR`` multiplies every
group's learning rate by its own scale times the shared warm-up + cosine curve:

    lr_g(step) = lr · scale_g · min(1, (step + 1) / warmup) · ½(1 + cos(π · step / total))

Frozen stages have ``requires_grad=False`` (their gradients stay ``None``, so
AdamW skips them: no update, no weight decay) and run in eval mode, so their
BatchNorm statistics do not drift either.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.augment import augment, default_recipe, plain
from replearn_core.features import encode_images
from replearn_core.device import autocast, prepare_model, to_device_batch
from replearn_core.evaluation import linear_probe_accuracy
from replearn_core.training import FitState, fit, warmup_cosine
from replearn_core.transfer.strategies.base import Strategy


class TransferModel(nn.Module):
    """backbone (B, 3, H, W) -> (B, D), then a linear head (B, D) -> (B, classes).

    The head standardises the features first (BatchNorm without learned scale and shift, as MAE's
    linear probe does, He et al. 2021): an encoder's features can have any scale, and a linear layer
    trained for a few dozen steps cannot adapt to it. It adds no trainable parameter.
    """

    def __init__(self, backbone: nn.Module, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(nn.BatchNorm1d(backbone.feature_dim, affine=False),
                                  nn.Linear(backbone.feature_dim, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))  # (B, classes)


def param_groups(model: TransferModel, scales: list[float], lr: float, weight_decay: float,
                 head_scale: float = 1.0) -> list[dict]:
    """One optimizer group per backbone stage (input first), then the head; each carries its ``lr_scale``."""
    stages = list(model.backbone.stages)
    if len(scales) != len(stages):
        raise ValueError(f"{len(scales)} learning-rate scales for {len(stages)} stages")
    seen: set[int] = set()
    groups = []
    for i, (stage, scale) in enumerate(zip(stages, scales)):
        params = [p for p in stage.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        groups.append({"params": params, "lr": lr, "lr_scale": float(scale), "name": f"stage {i}"})
    # parameters outside the stages (none in the built-in backbones) learn with the top stage
    rest = [p for p in model.backbone.parameters() if id(p) not in seen]
    groups[-1]["params"] = groups[-1]["params"] + rest
    groups.append({"params": list(model.head.parameters()), "lr": lr, "lr_scale": float(head_scale), "name": "head"})
    for g in groups:
        g["weight_decay"] = weight_decay
    return [g for g in groups if g["params"]]


def build_optimizer(model: TransferModel, scales: list[float], lr: float, weight_decay: float,
                    total_steps: int, warmup: int | None = None, head_scale: float = 1.0):
    """AdamW over the per-stage groups and a LambdaLR that applies each group's scale at every step."""
    groups = param_groups(model, scales, lr, weight_decay, head_scale)
    optimizer = torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)
    warmup = warmup if warmup is not None else max(1, min(total_steps // 10, 50))
    lambdas = [(lambda s, k=g["lr_scale"]: k * warmup_cosine(s, total_steps, warmup)) for g in optimizer.param_groups]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)
    return optimizer, scheduler


def set_trainable(model: TransferModel, lowest: int) -> None:
    """Stages >= lowest train; stages below are frozen (no gradients, BatchNorm in eval mode)."""
    model.train()
    for i, stage in enumerate(model.backbone.stages):
        trainable = i >= lowest
        for p in stage.parameters():
            p.requires_grad_(trainable)
        if not trainable:
            stage.eval()
    for p in model.head.parameters():
        p.requires_grad_(True)


@dataclass
class FitResult:
    accuracy: float  # final accuracy on the held-out images
    train_time_s: float  # time spent training (feature caching included, evaluations excluded)
    wall_time_s: float  # everything, evaluations included
    trainable_params: int  # parameters that were updated at some step
    total_params: int  # parameters of backbone + head
    steps: int  # optimizer steps
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, accuracy) of each evaluation


def _features(backbone: nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """(N, D) on the device: the backbone's features in fp32 on a CPU, as the transfer loops train."""
    return encode_images(backbone, images, device, on_device=True, cpu_bf16=False)


@torch.no_grad()
def evaluate(model: TransferModel, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    """Top-1 accuracy on uint8 images already on the device."""
    logits = encode_images(model, images, device, on_device=True, cpu_bf16=False)  # (N, classes)
    return (logits.argmax(1) == labels).sum().item() / max(1, len(labels))


@torch.no_grad()
def evaluate_head(head: nn.Module, features: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    """Top-1 accuracy of a head on cached features (M, D)."""
    was_training = head.training
    head.eval()
    with autocast(device):
        correct = (head(features).argmax(1) == labels).sum().item()
    head.train(was_training)
    return correct / max(1, len(labels))


def fine_tune(backbone: nn.Module, num_classes: int, train_images: torch.Tensor, train_labels: torch.Tensor,
              eval_images: torch.Tensor, eval_labels: torch.Tensor, strategy: Strategy, config,
              device: torch.device, evals: int = 8,
              on_step: Iterable[Callable[[FitState, dict], None]] = (),
              on_eval: Callable[[int, int, float, TransferModel], None] | None = None) -> FitResult:
    """Train ``backbone`` + a new linear head with a strategy; returns accuracy, times and parameter counts.

    train_images: (N, 3, H, W) uint8, train_labels: (N,). ``config`` provides epochs, min_steps,
    batch_size, lr, weight_decay, augment, seed and the strategy's own settings.
    ``on_step``: step callbacks of the one loop (:func:`replearn_core.training.fit`), passed through to it:
    ``callback(state, logs)`` after each step, ``logs["head_lr"]`` the head's learning rate. on_eval(step,
    total_steps, accuracy, model) after each of the ``evals`` evaluations (the last one at the final step).
    """
    started = time.perf_counter()
    eval_time = 0.0
    torch.manual_seed(config.seed)
    model = prepare_model(TransferModel(backbone, num_classes), device)
    num_stages = len(backbone.stages)
    n = len(train_labels)
    batch_size = min(config.batch_size, n)
    steps_per_epoch = math.ceil(n / batch_size)
    total = max(config.epochs * steps_per_epoch, getattr(config, "min_steps", 0), 1)
    eval_at = {min(total, round(total * (i + 1) / max(1, evals))) for i in range(max(1, evals))}
    optimizer, scheduler = build_optimizer(model, strategy.lr_scales(num_stages, config), config.lr,
                                           config.weight_decay, total, head_scale=strategy.head_lr_scale)
    generator = torch.Generator().manual_seed(config.seed)
    recipe = default_recipe("light")
    images = to_device_batch(train_images, device)  # (N, 3, H, W) uint8, once
    labels = train_labels.to(device)
    test_images = to_device_batch(eval_images, device)
    test_labels = eval_labels.to(device)
    trained: set[int] = set()
    cached = None
    if strategy.frozen_backbone:  # the encoder never changes: encode every image once
        set_trainable(model, num_stages)
        cached = _features(model.backbone, images, device)  # (N, D)
        t0 = time.perf_counter()
        cached_eval = _features(model.backbone, test_images, device)  # (M, D), for the evaluations
        eval_time += time.perf_counter() - t0
    history = []

    def batches(_epoch: int):  # one pass of ``total`` steps: min_steps may ask for more than whole epochs
        perm = torch.randperm(n, generator=generator).to(device)
        for step in range(total):
            if step % steps_per_epoch == 0 and step:
                perm = torch.randperm(n, generator=generator).to(device)
            i = step % steps_per_epoch
            yield perm[i * batch_size:(i + 1) * batch_size]

    def step(idx: torch.Tensor, state: FitState):
        lowest = num_stages if cached is not None else strategy.lowest_trainable(state.step, total, num_stages,
                                                                                  config)
        set_trainable(model, lowest)
        trained.update(id(p) for p in model.parameters() if p.requires_grad)
        if cached is not None:
            logits = model.head(cached[idx])  # (B, classes) from cached (B, D)
        else:
            batch = images[idx]
            x = augment(batch, recipe, generator) if config.augment else plain(batch)
            logits = model(x)  # (B, classes)
        return F.cross_entropy(logits.float(), labels[idx]), {"head_lr": optimizer.param_groups[-1]["lr"]}

    def evaluate_at(state: FitState, logs: dict) -> None:
        nonlocal eval_time
        if state.step in eval_at:
            t0 = time.perf_counter()
            if cached is not None:
                accuracy = evaluate_head(model.head, cached_eval, test_labels, device)
            else:
                accuracy = evaluate(model, test_images, test_labels, device)
            history.append((state.step, accuracy))
            if on_eval:
                on_eval(state.step, total, accuracy, model)
            eval_time += time.perf_counter() - t0

    fit(batches, step, optimizer=optimizer, scheduler=scheduler, device=device, epochs=1, total_steps=total,
        on_step=[*on_step, evaluate_at])
    wall = time.perf_counter() - started
    model.eval()
    return FitResult(accuracy=history[-1][1], train_time_s=wall - eval_time, wall_time_s=wall,
                     trainable_params=sum(p.numel() for p in model.parameters() if id(p) in trained),
                     total_params=sum(p.numel() for p in model.parameters()), steps=total, history=history)


def fit_logistic_regression(backbone: nn.Module, train_images: torch.Tensor, train_labels: torch.Tensor,
                            eval_images: torch.Tensor, eval_labels: torch.Tensor, device: torch.device,
                            num_classes: int) -> FitResult:
    """Cached features + :func:`replearn_core.evaluation.linear_probe_accuracy` (standardised features,
    scikit-learn's multinomial logistic regression by L-BFGS): the linear probe of the whole lab.

    The training time counts everything but encoding the evaluation images (the prediction is negligible).
    """
    started = time.perf_counter()
    backbone = prepare_model(backbone, device).eval()
    train_features = _features(backbone, to_device_batch(train_images, device), device).cpu()  # (N, D)
    t0 = time.perf_counter()
    eval_features = _features(backbone, to_device_batch(eval_images, device), device).cpu()  # (M, D)
    eval_encoding = time.perf_counter() - t0
    accuracy = linear_probe_accuracy(train_features, train_labels, eval_features, eval_labels)
    wall = time.perf_counter() - started
    train_time = wall - eval_encoding
    dim = train_features.shape[1]
    return FitResult(accuracy=accuracy, train_time_s=train_time, wall_time_s=wall,
                     trainable_params=dim * num_classes + num_classes,
                     total_params=sum(p.numel() for p in backbone.parameters()) + dim * num_classes + num_classes,
                     steps=1, history=[(1, accuracy)])
