"""The job behind a self-supervised run: build the method, train it, report everything.

Runs in a worker process (from the page) or in the foreground (from the command
line); both see it only through the run store. It reports through the one loop's callbacks, as every job does:
:func:`replearn_core.training.report_steps` after each step, its own evaluation and checkpoints after each epoch.
"""

from __future__ import annotations

import time

import torch

from replearn_core.augment import plain
from replearn_core.checkpoints import encoder_tensors
from replearn_core.data import EvaluationImages
from replearn_core.evaluation import linear_probe_accuracy
from replearn_core.runs.context import RunContext
from replearn_core.ssl.artifacts import METHOD_STATE, method_tensors
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS, build_method
from replearn_core.ssl.trainer import Trainer
from replearn_core.ssl.training_warnings import representation_warnings, settings_warnings
from replearn_core.ssl.untrained_baseline import UntrainedBaseline
from replearn_core.training import FitState, report_steps


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

    # a method with pictures stores itself after epoch 1 and about five times more, whatever its evaluations
    views_every = max(1, round(config.epochs / 5))

    def on_epoch_end(state: FitState):
        epoch, step, stopped = state.epoch, state.step, state.stop_reason
        if config.evaluates_at(epoch) or stopped:
            ctx.progress(step / state.total_steps, f"epoch {epoch}: evaluating")
            report = trainer.evaluate()
            ctx.log(step, **report, epoch=epoch)
        ctx.flush()
        if epoch % config.checkpoint_every == 0 or epoch == config.epochs or stopped:
            ctx.save_tensors(f"checkpoint_epoch_{epoch}", encoder_tensors(trainer.method.backbone), step=step,
                             meta={**meta, "epoch": epoch})
        if trainer.method.lab_views and (epoch == 1 or epoch % views_every == 0 or epoch == config.epochs or stopped):
            # the whole method, decoder and heads included: the page draws its reconstructions from it
            ctx.save_tensors(f"method_epoch_{epoch}", method_tensors(trainer.method), kind=METHOD_STATE, step=step,
                             meta={**meta, "epoch": epoch})

    def after_training(state: FitState):
        """The final encoder, the held-out features and the linear probe, once training has ended."""
        ctx.save_tensors("checkpoint_final", encoder_tensors(trainer.method.backbone), step=state.step,
                         meta={**meta, "epoch": state.epoch})
        features = trainer._encode(plain, evaluation.images)
        ctx.save_tensors("embeddings", {"features": features, "labels": evaluation.labels}, kind="embeddings",
                         step=state.step, meta=meta)
        ctx.progress(1.0, "linear probe on the final features")
        probe = linear_probe_accuracy(trainer._encode(plain, bank.images), bank.labels, features, evaluation.labels)
        summary["linear_probe_acc"] = probe
        ctx.log(state.step, linear_probe_acc=probe)

    baseline = UntrainedBaseline(ctx, summary, trainer)  # step 0: a quick estimate, the full scores after epoch 1
    started = time.perf_counter()
    baseline.start()
    state = trainer.fit(on_step=[report_steps(ctx, trainer.optimizer)], on_epoch=[baseline.on_epoch, on_epoch_end])
    after_training(state)
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
