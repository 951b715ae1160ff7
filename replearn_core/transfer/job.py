"""The transfer comparison job: every strategy × label fraction, one table, live curves.

Metric keys (live curves on the page, ``store.metrics``):
``acc/<strategy>@<fraction>`` held-out accuracy and ``loss/<strategy>@<fraction>`` training loss,
by optimizer step of that training run. The table is the run's summary (``summary["table"]``)
and the artifact ``results.json``; :func:`results_csv` turns it into CSV.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import time

import torch

from replearn_core.backbones import build_backbone
from replearn_core.data import load_train_and_eval
from replearn_core.runs.context import RunContext
from replearn_core.runs.store import RunStore
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.encoders import load_encoder
from replearn_core.transfer.finetune import fine_tune, fit_logistic_regression
from replearn_core.transfer.recommend import recommend
from replearn_core.transfer.strategies import STRATEGIES
from replearn_core.transfer.subsets import label_subsets
from replearn_core.training import FitState

COLUMNS = ["strategy", "fraction", "n_labels", "accuracy", "train_time_s", "wall_time_s", "trainable_params",
           "total_params", "steps"]


def curve_key(metric: str, strategy: str, fraction: float) -> str:
    return f"{metric}/{strategy}@{fraction:g}"


def prepare_target(config: TransferConfig):
    """(train, evaluation) splits of the target."""
    train, evaluation = load_train_and_eval(config.dataset, config.eval_dataset, config.image_size,
                                            config.max_train_images, config.eval_images, config.seed)
    if evaluation.class_names != train.class_names:
        raise ValueError(f"the evaluation images' classes ({', '.join(evaluation.class_names[:5])}…) differ from "
                         f"the target's ({', '.join(train.class_names[:5])}…)")
    return train, evaluation


def run_transfer(config_dict: dict, ctx: RunContext) -> dict:
    config = TransferConfig.from_dict(config_dict).validate(STRATEGIES)
    ctx.progress(0.0, "loading the target and the encoder")
    train, evaluation = prepare_target(config)
    encoder, info = load_encoder(config.encoder, config.backbone, ctx.store, seed=config.seed)
    backbone_name = info["backbone"]
    subsets = label_subsets(train.labels, config.fractions, config.seed)
    jobs = [(f, s) for f in config.fractions for s in config.strategies]
    rows: list[dict] = []
    notes = list(dict.fromkeys(train.notes + evaluation.notes))
    started = time.perf_counter()
    for done, (fraction, key) in enumerate(jobs):
        strategy = STRATEGIES[key]
        idx = subsets[fraction]
        message = f"{strategy.key} with {fraction:.0%} of the labels ({len(idx)} images), {done + 1}/{len(jobs)}"
        ctx.progress(done / len(jobs), message)
        ctx.check_cancel()
        if strategy.pretrained:
            backbone = copy.deepcopy(encoder)
        else:  # the control: same architecture, random weights, seeded like every row
            torch.manual_seed(config.seed)
            backbone = build_backbone(backbone_name)
        acc_key, loss_key = curve_key("acc", key, fraction), curve_key("loss", key, fraction)

        def on_step(state: FitState, logs: dict, loss_key=loss_key, base=done, message=message):
            """A step callback of the one loop (training.fit): the loss under this row's key, cancel, progress."""
            step, total = state.step, state.total_steps
            ctx.check_finite("loss", state.loss, step)
            ctx.log(step, **{loss_key: state.loss})
            ctx.check_cancel()
            if step % 10 == 0:
                ctx.progress((base + step / total) / len(jobs), f"{message}: step {step}/{total}")

        def on_eval(step, total, accuracy, model, acc_key=acc_key):
            ctx.log(step, **{acc_key: accuracy})
            ctx.flush()

        images, labels = train.images[idx], train.labels[idx]
        if key == "logreg":
            result = fit_logistic_regression(backbone, images, labels, evaluation.images, evaluation.labels,
                                             ctx.device, train.num_classes)
            ctx.log(1, **{acc_key: result.accuracy})
        else:
            result = fine_tune(backbone, train.num_classes, images, labels, evaluation.images, evaluation.labels,
                               strategy, config, ctx.device, on_step=[on_step], on_eval=on_eval)
        rows.append({"strategy": key, "fraction": fraction, "n_labels": int(len(idx)),
                     "accuracy": round(result.accuracy, 4), "train_time_s": round(result.train_time_s, 3),
                     "wall_time_s": round(result.wall_time_s, 3), "trainable_params": int(result.trainable_params),
                     "total_params": int(result.total_params), "steps": int(result.steps)})
        ctx.flush()
    advice = recommend(rows)
    ctx.save_bytes("results.json", json.dumps({"table": rows, "encoder": info}).encode(), kind="table")
    summary = {"encoder": info["encoder"], "backbone": backbone_name, "dataset": config.dataset,
               "table": rows, "recommendation": advice["text"],
               "recommendation_lines": [line.to_json() for line in advice["lines"]],
               "winners": {f"{k:g}": v for k, v in advice["winners"].items()},
               "wall_time_s": round(time.perf_counter() - started, 2), "device": str(ctx.device)}
    if info.get("source_dataset"):
        summary["source_dataset"] = info["source_dataset"]
    if notes:
        summary["notes"] = notes
    return summary


def results_csv(rows: list[dict]) -> str:
    """The comparison table as CSV text (one row per strategy × fraction)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def comparison_runs(store: RunStore, user=None) -> list:
    """Past comparisons the user may see (default: the local user, every one), newest first."""
    from replearn_core.runs.access import LOCAL, list_runs

    return list_runs(store, user or LOCAL, kind="transfer")


def comparison_curves(store: RunStore, run_id: str) -> dict[str, dict[str, tuple[list[int], list[float]]]]:
    """{"acc": {"linear@0.1": (steps, values), ...}, "loss": {...}} of a comparison, live while it runs."""
    out: dict[str, dict] = {"acc": {}, "loss": {}}
    for key, series in store.metrics(run_id).items():
        metric, _, name = key.partition("/")
        if metric in out and name:
            out[metric][name] = series
    return out
