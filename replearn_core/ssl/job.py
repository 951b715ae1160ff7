"""The job behind a self-supervised run: build the method, train it, report everything.

Runs in a worker process (from the page) or in the foreground (from the command
line); both see it only through the run store.
"""

from __future__ import annotations

import time

import torch

from replearn_core.augment import plain
from replearn_core.checkpoints import encoder_tensors
from replearn_core.data import EvaluationImages
from replearn_core.evaluation import linear_probe_accuracy
from replearn_core.runs.context import RunContext
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS, build_method
from replearn_core.ssl.trainer import Trainer
from replearn_core.ssl.training_warnings import representation_warnings, settings_warnings
from replearn_core.ssl.untrained_baseline import UntrainedBaseline
from replearn_core.ssl.views import METHOD_STATE, method_tensors


def prepare_data(config: TrainConfig):
    """(train, kNN bank, evaluation) splits for a config."""
    return EvaluationImages.of(config).splits()


def run_ssl(config_dict: dict, ctx: RunContext) -> dict:
    config = TrainConfig.from_dict(config_dict).validate(METHODS)
    torch.manual_seed(config.seed)
    ctx.progress(0.0, "loading data")
    train, bank, evaluation = prepare_data(config)
    method = build_method(config)
    trainer = Trainer(method, train, bank, evaluation, config, ctx.device)
    meta = {"backbone": config.backbone, "method": config.method, "dataset": config.dataset}
    notes = train.notes + evaluation.notes
    summary: dict = {"notes": notes} if notes else {}
    ctx.warn(*notes, *settings_warnings(config, len(train)))  # shown while the run goes on

    def on_step_end(t: Trainer):
        ctx.check_finite("loss", t.loss, t.step)
        ctx.log(t.step, loss=t.loss, lr=t.lr(), images_per_s=t.images_per_s, epoch=t.epoch, **t.extra)
        ctx.check_cancel()
        if t.step % 5 == 0:
            ctx.progress(t.step / t.total_steps, f"epoch {t.epoch}/{config.epochs}, step {t.step}/{t.total_steps}")

    # a method with pictures stores itself after epoch 1 and about five times more, whatever its evaluations
    views_every = max(1, round(config.epochs / 5))

    def on_epoch_end(t: Trainer):
        if config.evaluates_at(t.epoch) or t.stop_reason:
            ctx.progress(t.step / t.total_steps, f"epoch {t.epoch}: evaluating")
            report = t.evaluate()
            ctx.log(t.step, **report, epoch=t.epoch)
        ctx.flush()
        if t.epoch % config.checkpoint_every == 0 or t.epoch == config.epochs or t.stop_reason:
            ctx.save_tensors(f"checkpoint_epoch_{t.epoch}", encoder_tensors(t.method.backbone), step=t.step,
                             meta={**meta, "epoch": t.epoch})
        if t.method.lab_views and (t.epoch == 1 or t.epoch % views_every == 0 or t.epoch == config.epochs
                                   or t.stop_reason):
            # the whole method, decoder and heads included: the page draws its reconstructions from it
            ctx.save_tensors(f"method_epoch_{t.epoch}", method_tensors(t.method), kind=METHOD_STATE, step=t.step,
                             meta={**meta, "epoch": t.epoch})

    def on_train_end(t: Trainer):
        ctx.save_tensors("checkpoint_final", encoder_tensors(t.method.backbone), step=t.step,
                         meta={**meta, "epoch": t.epoch})
        features = t._encode(plain, evaluation.images)
        ctx.save_tensors("embeddings", {"features": features, "labels": evaluation.labels}, kind="embeddings",
                         step=t.step, meta=meta)
        ctx.progress(1.0, "linear probe on the final features")
        probe = linear_probe_accuracy(t._encode(plain, bank.images), bank.labels, features, evaluation.labels)
        summary["linear_probe_acc"] = probe
        ctx.log(t.step, linear_probe_acc=probe)

    UntrainedBaseline(ctx, summary).attach(trainer)  # step 0: a quick estimate, the full scores after epoch 1
    for event, fn in [("on_step_end", on_step_end),
                      ("on_epoch_end", on_epoch_end), ("on_train_end", on_train_end)]:
        trainer.add_callback(event, fn)
    started = time.perf_counter()
    trainer.fit()
    final = trainer.last_eval
    summary.update({
        "method": config.method, "dataset": config.dataset, "backbone": config.backbone,
        "knn_acc": final.get("knn_acc"), "best_knn_acc": None, "collapse_std": final.get("collapse_std"),
        "effective_rank": final.get("effective_rank"), "alignment": final.get("alignment"),
        "uniformity": final.get("uniformity"), "images_per_s": round(trainer.images_per_s, 1),
        "steps": trainer.step, "epochs_done": trainer.epoch, "train_time_s": round(trainer.train_time_s, 2),
        "wall_time_s": round(time.perf_counter() - started, 2), "device": str(ctx.device),
    })
    ctx.flush()
    summary["best_knn_acc"] = ctx.store.best_metric(ctx.run_id, "knn_acc")
    ctx.warn(*representation_warnings(ctx.store.metrics(ctx.run_id), config))
    if trainer.stop_reason:
        summary["stopped"] = trainer.stop_reason
    return summary
