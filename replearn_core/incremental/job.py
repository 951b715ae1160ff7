"""The job behind an incremental-learning comparison: every chosen strategy, under each chosen scenario, learns
the same tasks one after another from the same initial weights.

After each task the model is tested on every task so far, which fills one row of the accuracy matrix.
Metric keys (live on the page, ``store.metrics``), by task number t = 1..T as the step:

- ``acc/<scenario>/<strategy>/<j>``: test accuracy on task j (1-based) after task t, one cell of the matrix;
- ``avg/<scenario>/<strategy>``: the average accuracy over the tasks seen after task t;
- ``loss/<scenario>/<strategy>`` (and the strategy's own terms) by optimizer step, counted across tasks.

The summary holds each matrix with its average accuracy, forgetting and backward transfer
(:func:`replearn_core.incremental.metrics.summarise`), a flat ``acc_<scenario>_<strategy>`` per row, and the
comparison table. The run also stores, per scenario and strategy, a 2-D map (PCA) of the encoder's features of
the test images after each task (``map_<scenario>_<strategy>``), and the encoder after each task of the first
strategy as a checkpoint (``after_task_<t>``), which the Feature maps page can draw.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch

from replearn_core.augment import plain
from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import encoder_tensors
from replearn_core.data import held_out_images, training_images
from replearn_core.device import prepare_model, to_device_batch
from replearn_core.i18n import Message
from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.metrics import summarise
from replearn_core.incremental.model import IncrementalNet, Learner, TaskData
from replearn_core.incremental.strategies import STRATEGIES
from replearn_core.incremental.strategies.replay import check_memory
from replearn_core.incremental.tasks import TaskSplit, split_classes
from replearn_core.runs.context import RunContext
from replearn_core.training import FitState, fit, report_steps

MAP_POINTS = 400  # test images drawn on each feature map


@dataclass
class IncrementalData:
    split: TaskSplit
    train: list[TaskData]  # per task, on the CPU
    test: list[TaskData]
    notes: list[str]


def task_data(images: torch.Tensor, labels: torch.Tensor, split: TaskSplit) -> list[TaskData]:
    """Images of the split's classes cut by task: one TaskData per task (images of other classes left out)."""
    units = split.positions(labels)
    kept = units >= 0
    images, units = images[kept], units[kept]
    tasks = split.task_of(units)
    return [TaskData(images[tasks == t], units[tasks == t], tasks[tasks == t]) for t in range(split.n_tasks)]


def prepare_data(config: IncrementalConfig) -> IncrementalData:
    """The task split of the dataset, its training and held-out images by task; refuses a split with fewer classes
    than tasks, and a replay memory larger than a class's training images, before anything trains."""
    train = training_images(config.dataset, config.image_size, config.max_train_images, config.seed)
    test = held_out_images(config.dataset, None, config.image_size, config.eval_images)
    split = split_classes(list(train.class_names), config.n_tasks, config.class_order, config.seed, config.dataset)
    train_tasks, test_tasks = task_data(train.images, train.labels, split), task_data(test.images, test.labels, split)
    if "replay" in config.strategies:
        counts = {split.class_names[split.order[u]]: int((torch.cat([d.units for d in train_tasks]) == u).sum())
                  for u in range(split.n_classes)}
        check_memory(config.memory_per_class, counts)
    empty = [t + 1 for t, d in enumerate(test_tasks) if len(d) == 0]
    if empty:
        raise ValueError(Message("inc.no_test_images", tasks=", ".join(map(str, empty)), dataset=config.dataset))
    return IncrementalData(split, train_tasks, test_tasks, list(dict.fromkeys(train.notes + test.notes)))


def feature_map(learner: Learner, test: list[TaskData], seen_until: int) -> tuple[torch.Tensor, torch.Tensor]:
    """2-D PCA coordinates (N, 2) and output units (N,) of up to MAP_POINTS test images of the tasks seen."""
    from sklearn.decomposition import PCA

    data = TaskData.concat(test[:seen_until + 1])
    g = torch.Generator().manual_seed(3)
    data = data.subset(torch.randperm(len(data), generator=g)[:MAP_POINTS].to(data.units.device))
    learner.net.eval()
    with torch.no_grad():
        features = learner.net.features(plain(data.images)).float().cpu()  # (N, d)
    learner.net.train()
    coords = PCA(n_components=2, random_state=0).fit_transform(features.numpy())
    return torch.from_numpy(coords).float(), data.units.cpu()


def train_strategy(key: str, scenario: str, config: IncrementalConfig, data: IncrementalData, ctx: RunContext,
                   initial_state: dict, backbone: torch.nn.Module, progress_range: tuple[float, float],
                   keep_checkpoints: bool) -> dict:
    """One strategy through every task under one scenario; logs the matrix cell by cell and returns its summary."""
    device = ctx.device
    strategy = STRATEGIES[key]
    net = IncrementalNet(backbone, data.split.n_classes)
    net.load_state_dict(initial_state)
    net = prepare_model(net, device)
    on_device = [TaskData(to_device_batch(d.images, device), d.units.to(device), d.tasks.to(device))
                 for d in data.train]
    test = [TaskData(to_device_batch(d.images, device), d.units.to(device), d.tasks.to(device)) for d in data.test]
    learner = Learner(net, data.split, scenario, config, device, on_device,
                      torch.Generator().manual_seed(config.seed + 1))
    name = f"{scenario}/{key}"
    sizes = [len(strategy.training_data(learner, t)) for t in range(data.split.n_tasks)]
    steps = [max(1, n // min(config.batch_size, n)) * config.epochs for n in sizes]
    state = FitState(total_steps=sum(steps), epochs=config.epochs)
    matrix: list[list[float]] = []
    maps: dict[str, torch.Tensor] = {}
    train_time, stopped = 0.0, None
    lo, hi = progress_range
    for t in range(data.split.n_tasks):
        ctx.check_cancel()
        strategy.begin_task(learner, t)
        train = strategy.training_data(learner, t)
        batch = min(config.batch_size, len(train))
        per_epoch = max(1, len(train) // batch)

        def batches(epoch: int, train=train, batch=batch, per_epoch=per_epoch):
            perm = torch.randperm(len(train), generator=learner.generator).to(device)
            for i in range(per_epoch):
                yield train.subset(perm[i * batch:(i + 1) * batch])

        def step(batch_data: TaskData, fit_state: FitState, t=t):
            loss, logs = strategy.loss(learner, batch_data, t)
            return loss, {f"{k}/{name}": v for k, v in logs.items()}

        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        state.epoch, state.stop_reason = 0, None
        what = f"{scenario}-incremental, {key}, task {t + 1}/{data.split.n_tasks}: "
        net.train()
        fit(batches, step, optimizer=optimizer, device=device, epochs=config.epochs, total_steps=state.total_steps,
            time_budget_s=config.time_budget_s, on_step=[report_steps(ctx, optimizer, label=f"{key} loss",
                                                                      suffix=f"/{name}", meters=False, what=what,
                                                                      progress_range=(lo, hi))],
            state=state)
        train_time += state.train_time_s
        state.train_time_s = 0.0
        stopped = stopped or state.stop_reason
        strategy.end_task(learner, t)
        row = [learner.accuracy(test[j], t) for j in range(t + 1)]
        matrix.append(row)
        summary = summarise(matrix)
        ctx.log(t + 1, **{f"acc/{name}/{j + 1}": acc for j, acc in enumerate(row)},
                **{f"avg/{name}": summary["average_accuracy"]})
        ctx.flush()
        coords, units = feature_map(learner, test, t)
        maps[f"coords_{t + 1}"], maps[f"units_{t + 1}"] = coords, units
        if keep_checkpoints:
            ctx.save_tensors(f"after_task_{t + 1}", encoder_tensors(net.backbone), kind="checkpoint", step=t + 1,
                             meta={"backbone": config.backbone, "strategy": key, "scenario": scenario,
                                   "task": t + 1})
        ctx.progress(lo + (hi - lo) * (t + 1) / data.split.n_tasks,
                     f"{what}average accuracy {summary['average_accuracy']:.3f}")
    ctx.save_tensors(f"map_{scenario}_{key}", maps, kind="feature_map", meta={"scenario": scenario, "strategy": key})
    result = {**summarise(matrix), "train_time_s": round(train_time, 2), "steps": state.step}
    if stopped:
        result["stopped"] = stopped
    return result


def load_start(config: IncrementalConfig, store) -> tuple[torch.nn.Module, dict]:
    """The encoder every strategy starts from: random weights seeded by the run's seed, the latest encoder
    checkpoint of a finished run (its own architecture), or a checkpoint file for ``backbone`` (safetensors, or a
    torch file read with ``weights_only=True``)."""
    from pathlib import Path

    from replearn_core.checkpoints import (CheckpointError, checkpoint_artifacts, load_into, load_run_encoder,
                                           read_state_file, untrained_encoder)

    spec = (config.encoder or "random").strip()
    if spec == "random":
        return untrained_encoder(config.backbone, config.seed).train(), {"encoder": "random"}
    if spec.startswith("file:"):
        path = Path(spec[len("file:"):]).expanduser()
        model = build_backbone(config.backbone)
        try:
            load_into(model, read_state_file(path))
        except CheckpointError as exc:
            raise CheckpointError(f"{path.name} as {config.backbone}: {exc}") from exc
        return model.train(), {"encoder": f"file:{path.name}"}
    run = store.get_run(spec)  # RunNotFound (a KeyError) names the id
    if run.status != "finished" and not checkpoint_artifacts(store, spec):
        raise CheckpointError(f"run {spec} is {run.status} and has no encoder checkpoint yet")
    final = any(a.name == "checkpoint_final" for a in checkpoint_artifacts(store, spec))
    model, run_config = load_run_encoder(store, spec, "checkpoint_final" if final else None)
    config.backbone = run_config.get("backbone", config.backbone)
    return model.train(), {"encoder": spec, "source": run_config.get("method") or run.kind,
                           "source_dataset": run_config.get("dataset")}


def run_incremental(config_dict: dict, ctx: RunContext) -> dict:
    config = IncrementalConfig.from_dict(config_dict).validate(STRATEGIES)
    started = time.perf_counter()
    ctx.progress(0.0, "loading the dataset and splitting its classes into tasks")
    data = prepare_data(config)
    encoder, info = load_start(config, ctx.store)
    torch.manual_seed(config.seed)
    initial_state = IncrementalNet(encoder, data.split.n_classes).state_dict()
    initial_state = {k: v.clone() for k, v in initial_state.items()}
    runs = [(s, k) for s in config.scenarios() for k in config.strategies]
    results: dict[str, dict] = {}
    for i, (scenario, key) in enumerate(runs):
        results.setdefault(scenario, {})[key] = train_strategy(
            key, scenario, config, data, ctx, initial_state, copy.deepcopy(encoder),
            (i / len(runs), (i + 1) / len(runs)), keep_checkpoints=i == 0)
    table = [{"scenario": s, "strategy": k, "average_accuracy": r["average_accuracy"],
              "mean_forgetting": r["mean_forgetting"], "bwt": r["bwt"], "train_time_s": r["train_time_s"]}
             for s, by_key in results.items() for k, r in by_key.items()]
    summary = {"dataset": config.dataset, "scenario": config.scenario, "strategies": list(config.strategies),
               "tasks": data.split.describe(), "encoder": info["encoder"], "backbone": config.backbone,
               "results": results, "table": table,
               **{f"acc_{row['scenario']}_{row['strategy']}": row["average_accuracy"] for row in table},
               "train_time_s": round(sum(r["train_time_s"] for r in table), 2),
               "wall_time_s": round(time.perf_counter() - started, 2), "device": str(ctx.device)}
    stopped = {f"{s}/{k}": r["stopped"] for s, by_key in results.items() for k, r in by_key.items() if "stopped" in r}
    if stopped:
        summary["stopped"] = stopped
    if data.notes:
        summary["notes"] = data.notes
    return summary
