"""The supervised source-encoder job: learn an encoder *with* labels on a source dataset.

The classic transfer-learning recipe (ImageNet pretraining, in small): train backbone +
linear head with cross-entropy on a labelled source, keep the backbone. Its checkpoints
are saved exactly like a self-supervised run's (``checkpoint_epoch_<E>`` and
``checkpoint_final``, meta {"backbone", "epoch"}), so the transfer page can start from it.
"""

from __future__ import annotations

import time

import torch

from replearn_core.checkpoints import encoder_tensors
from replearn_core.data import load_dataset
from replearn_core.runs.context import RunContext
from replearn_core.transfer.config import SupervisedConfig
from replearn_core.transfer.finetune import fine_tune
from replearn_core.transfer.strategies import STRATEGIES
from replearn_core.training import FitState


def run_supervised(config_dict: dict, ctx: RunContext) -> dict:
    from replearn_core.backbones import build_backbone

    config = SupervisedConfig.from_dict(config_dict).validate()
    ctx.progress(0.0, "loading data")
    train = load_dataset(config.dataset, "train", config.image_size)
    if config.max_train_images:
        train = train.take(config.max_train_images, seed=config.seed)
    evaluation = load_dataset(config.dataset, "test", config.image_size).take(config.eval_images, seed=1)
    torch.manual_seed(config.seed)
    backbone = build_backbone(config.backbone)
    meta = {"backbone": config.backbone, "method": "supervised", "dataset": config.dataset}
    steps_per_epoch = -(-len(train) // min(config.batch_size, len(train)))

    def on_step(state: FitState, logs: dict):  # a step callback of the one loop (training.fit)
        step, total = state.step, state.total_steps
        ctx.check_finite("loss", state.loss, step)
        ctx.log(step, loss=state.loss, lr=logs["head_lr"], epoch=(step - 1) // steps_per_epoch + 1)
        ctx.check_cancel()
        if step % 5 == 0:
            ctx.progress(step / total, f"step {step}/{total}")

    def on_eval(step, total, accuracy, model):
        epoch = round(step / steps_per_epoch)
        ctx.log(step, test_acc=accuracy, epoch=epoch)
        ctx.flush()
        ctx.save_tensors(f"checkpoint_epoch_{epoch}", encoder_tensors(model.backbone), step=step,
                         meta={**meta, "epoch": epoch})

    started = time.perf_counter()
    result = fine_tune(backbone, train.num_classes, train.images, train.labels, evaluation.images,
                       evaluation.labels, STRATEGIES["full"], config, ctx.device, evals=config.epochs,
                       on_step=[on_step], on_eval=on_eval)
    ctx.save_tensors("checkpoint_final", encoder_tensors(backbone), step=result.steps,
                     meta={**meta, "epoch": config.epochs})
    summary = {"method": "supervised", "dataset": config.dataset, "backbone": config.backbone,
               "test_acc": round(result.accuracy, 4), "steps": result.steps,
               "train_time_s": round(result.train_time_s, 2),
               "wall_time_s": round(time.perf_counter() - started, 2), "device": str(ctx.device)}
    if train.notes:
        summary["notes"] = train.notes
    return summary
