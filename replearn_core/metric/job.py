"""The job behind a metric-learning run: class-balanced batches, one loss, retrieval metrics each epoch.

Config: a :class:`replearn_core.metric.config.MetricConfig` dict (method = a key of METRIC_METHODS); the
loss's own settings (margin, mining, m_per_class, embedding_dim, scale, τ, ...) go in ``options``, checked
against the loss's declared options.

Saved like a self-supervised run, so Feature maps and Transfer can use it: encoder
checkpoints ``checkpoint_epoch_<E>`` and ``checkpoint_final`` (kind "checkpoint"), the
embedding head ``embedding_head`` (kind "head") and the held-out embeddings ``embeddings``.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch

from replearn_core.augment import AugSpec, augment, plain, recipe_from_dicts
from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import encoder_tensors
from replearn_core.data import EvaluationImages
from replearn_core.device import prepare_model, to_device_batch
from replearn_core.evaluation import knn_accuracy
from replearn_core.features import encode_images
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.config import MetricConfig
from replearn_core.metric.model import MetricModel, metric_options
from replearn_core.metric.retrieval import retrieval_metrics
from replearn_core.metric.sampler import ClassBalancedSampler
from replearn_core.runs.context import RunContext
from replearn_core.training import FitState, fit, report_steps, warmup_cosine

# light views: digits and shapes must not be flipped, and strong crops would cut a digit in half
METRIC_RECIPE = [AugSpec("crop", 1.0, 0.3), AugSpec("color_jitter", 0.5, 0.5)]
RETRIEVAL_KEYS = ("precision_at_1", "recall_at_1", "recall_at_5", "recall_at_10", "map_at_r")


def parse_config(config_dict: dict) -> tuple[MetricConfig, SimpleNamespace]:
    """Validate a metric run's config and its loss's options; raises ValueError with a message a user can act
    on."""
    config = MetricConfig.from_dict(config_dict, METRIC_METHODS).validate(METRIC_METHODS)
    return config, metric_options(config.method, config.options)


def embed(model: torch.nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Embeddings (N, D) on the CPU of uint8 images, in eval mode (features.encode_images: the one encoder loop)."""
    return encode_images(model, images, device)


def run_metric(config_dict: dict, ctx: RunContext) -> dict:
    config, options = parse_config(config_dict)
    torch.manual_seed(config.seed)
    device = ctx.device
    ctx.progress(0.0, "loading data")
    train, bank, evaluation = EvaluationImages.of(config).splits()
    recipe = recipe_from_dicts(config.recipe) if config.recipe is not None else METRIC_RECIPE

    model = MetricModel(config.method, build_backbone(config.backbone), train.num_classes, config.options)
    model = prepare_model(model, device)
    sampler = ClassBalancedSampler(train.labels, options.m_per_class, config.batch_size, seed=config.seed)
    train_images = to_device_batch(train.images, device)  # (N, 3, H, W) uint8, moved once
    train_labels = train.labels.to(device)
    steps_per_epoch = len(sampler)
    total_steps = steps_per_epoch * config.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    warmup = max(1, min(total_steps // 10, 100))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_cosine(s, total_steps, warmup))
    generator = torch.Generator().manual_seed(config.seed)
    meta = {"backbone": config.backbone, "method": config.method, "dataset": config.dataset}
    notes = train.notes + evaluation.notes
    summary: dict = {"notes": notes} if notes else {}

    def evaluate(step: int, epoch: int) -> dict[str, float]:
        eval_emb = embed(model, evaluation.images, device)
        report = retrieval_metrics(eval_emb, evaluation.labels)
        report["knn_acc"] = knn_accuracy(embed(model, bank.images, device), bank.labels, eval_emb,
                                         evaluation.labels, k=config.knn_k,
                                         num_classes=max(bank.num_classes, evaluation.num_classes))
        ctx.log(step, **report, epoch=epoch)
        ctx.flush()
        return report

    # about 5 evaluations per run: each embeds the held-out images and the kNN bank (6,000 images)
    eval_every = config.eval_every or max(1, round(config.epochs / 5))
    ctx.progress(0.0, "scoring the untrained encoder")
    initial = evaluate(0, 0)
    summary["precision_at_1_init"] = initial["precision_at_1"]
    summary["map_at_r_init"] = initial["map_at_r"]
    reports = [initial]

    def batches(epoch: int):
        for idx in sampler:
            idx = idx.to(device)
            x = augment(train_images[idx], recipe, generator) if options.augment else plain(train_images[idx])
            yield x, train_labels[idx]

    def step(batch, state: FitState):
        x, labels = batch
        model.progress = state.step / total_steps
        return model.loss(x, labels, generator)

    def end_of_epoch(state: FitState) -> None:
        epoch, stopped = state.epoch, state.stop_reason is not None
        if epoch % eval_every == 0 or epoch == config.epochs or stopped:
            ctx.progress(state.step / total_steps, f"epoch {epoch}: evaluating retrieval")
            reports.append(evaluate(state.step, epoch))
        if epoch % max(1, config.checkpoint_every) == 0 or epoch == config.epochs or stopped:
            ctx.save_tensors(f"checkpoint_epoch_{epoch}", encoder_tensors(model.backbone), step=state.step,
                             meta={**meta, "epoch": epoch})

    model.train()
    state = fit(batches, step, optimizer=optimizer, scheduler=scheduler, device=device, epochs=config.epochs,
                total_steps=total_steps, time_budget_s=config.time_budget_s, batch_images=lambda b: len(b[1]),
                on_step=[report_steps(ctx, optimizer)], on_epoch=[end_of_epoch])
    step, epoch, report, stop_reason = state.step, state.epoch, reports[-1], state.stop_reason

    ctx.save_tensors("checkpoint_final", encoder_tensors(model.backbone), step=step, meta={**meta, "epoch": epoch})
    ctx.save_tensors("embedding_head", model.head_state(), kind="head", step=step,
                     meta={**meta, "embedding_dim": options.embedding_dim})
    ctx.save_tensors("embeddings", {"features": embed(model, evaluation.images, device), "labels": evaluation.labels},
                     kind="embeddings", step=step, meta={**meta, "space": "embedding head"})
    summary.update({key: round(report[key], 4) for key in RETRIEVAL_KEYS})
    summary.update({
        "method": config.method, "dataset": config.dataset, "backbone": config.backbone,
        "knn_acc": round(report["knn_acc"], 4), "images_per_s": round(state.images_per_s, 1), "steps": step,
        "epochs_done": epoch, "batch_images": sampler.batch_images, "train_time_s": round(state.train_time_s, 2),
        "wall_time_s": round(state.elapsed_s(), 2), "device": str(device),
    })
    if stop_reason:
        summary["stopped"] = stop_reason
    return summary
