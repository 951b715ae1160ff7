"""Incremental learning on a split dataset: every strategy under both scenarios, several seeds, one table.

    .venv/bin/python bench/incremental.py                 # digits, 5 tasks of 2 digits, five strategies, 3 seeds
    .venv/bin/python bench/incremental.py --seeds 1       # one comparison: its wall time is the 3-minute target
    .venv/bin/python bench/incremental.py --dataset folder:../shared/data/cifar10 --image-size 32 --seeds 1
                                                          # the CIFAR-10 JPEG folders, 5 tasks of 2 classes (no target)
    .venv/bin/python bench/incremental.py --avalanche     # also Avalanche's strategies on the same split and model
    .venv/bin/python bench/incremental.py --device cuda   # the GPU row

Each seed is one ordinary comparison run (job ``incremental``, the engine's defaults unless a flag says
otherwise), executed in this process on a scratch data folder, so the numbers are the ones the page and
``python -m replearn_core incremental`` give. The table gives, per scenario and strategy, the average accuracy over
the tasks after the last one (mean ± std over seeds), the mean forgetting (best − final), backward transfer and
the training time, with the issue's targets on digits:

    class-incremental: sequential ≤ 0.30, replay (M = 20 per class) ≥ 0.80, joint ≥ 0.95
    task-incremental:  EWC ≥ 0.90, LwF ≥ 0.90, replay ≥ 0.90, joint ≥ 0.95

and the wall time of each whole comparison (target: at most 3 minutes on 2 idle CPU cores; meaningless on a
shared machine). With ``--avalanche`` the same split, network, epochs, batch size and learning rate are trained by
Avalanche (ContinualAI, https://avalanche.continualai.org), class-incremental only: Naive, Replay, LwF, EWC and
JointTraining. Avalanche is a benchmark-only dependency (``pip install avalanche-lib``, not in requirements.txt);
without it the script says so and goes on. The table is printed as Markdown and written to
``bench/results/incremental.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

# (scenario, strategy) -> (kind, bound): the targets on digits in five tasks
TARGETS = {("class", "sequential"): ("≤", 0.30), ("class", "replay"): ("≥", 0.80),
           ("class", "joint"): ("≥", 0.95), ("task", "ewc"): ("≥", 0.90), ("task", "lwf"): ("≥", 0.90), ("task", "replay"): ("≥", 0.90),
           ("task", "joint"): ("≥", 0.95)}


def run_comparison(config, seed: int) -> tuple[dict, float]:
    """One comparison run through the engine's job; returns (summary, wall seconds)."""
    from replearn_core.runs.jobs import execute_run
    from replearn_core.runs.store import RunStore

    store = RunStore()
    run_id = store.create_run("incremental", {**config.to_dict(), "seed": seed}, name=f"bench seed {seed}")
    started = time.perf_counter()
    summary = execute_run(store, run_id)
    wall = time.perf_counter() - started
    run = store.get_run(run_id)
    if run.status != "finished":
        raise SystemExit(f"seed {seed}: the run {run.status}: {run.error}")
    return summary, wall


def stat(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def verdict(scenario: str, strategy: str, values: list[float], dataset: str) -> str:
    target = TARGETS.get((scenario, strategy)) if dataset == "digits" else None
    if target is None or not values:
        return ""
    kind, bound = target
    mean = statistics.mean(values)
    ok = mean <= bound if kind == "≤" else mean >= bound
    return f"{kind} {bound:.2f} {'✓' if ok else '✗'}"


def table(rows: list[dict], dataset: str) -> list[str]:
    lines = ["| scenario | strategy | average accuracy | target | forgetting | BWT | train s |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['scenario']} | {row['strategy']} | {stat(row['acc'])} | "
                     f"{verdict(row['scenario'], row['strategy'], row['acc'], dataset)} | {stat(row['forgetting'])} | "
                     f"{stat(row['bwt'])} | {stat(row['train_s'])} |")
    return lines


def collect(summaries: list[dict]) -> list[dict]:
    rows = {}
    for summary in summaries:
        for scenario, by_key in summary["results"].items():
            for key, r in by_key.items():
                row = rows.setdefault((scenario, key), {"scenario": scenario, "strategy": key, "acc": [],
                                                        "forgetting": [], "bwt": [], "train_s": []})
                row["acc"].append(r["average_accuracy"])
                row["forgetting"].append(r["mean_forgetting"])
                row["bwt"].append(r["bwt"])
                row["train_s"].append(r["train_time_s"])
    return list(rows.values())


# --- Avalanche on the same split ---------------------------------------------------------------------------

def avalanche_rows(config, seeds: list[int]) -> tuple[list[dict], str | None]:
    """Class-incremental average accuracy of Avalanche's strategies on the same split, network and settings;
    ([], why) when Avalanche is not installed or fails."""
    try:
        import avalanche  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means: no Avalanche row
        return [], f"Avalanche is not available here ({type(exc).__name__}: {exc}); pip install avalanche-lib"
    rows = {}
    try:
        for seed in seeds:
            for key, acc in avalanche_once(config, seed).items():
                rows.setdefault(key, {"scenario": "class", "strategy": f"avalanche {key}", "acc": [],
                                      "forgetting": [], "bwt": [], "train_s": []})["acc"].append(acc)
    except Exception as exc:  # noqa: BLE001 - an API difference of another Avalanche version: say so, keep ours
        return list(rows.values()), f"Avalanche failed: {type(exc).__name__}: {exc}"
    return list(rows.values()), None


def avalanche_once(config, seed: int) -> dict[str, float]:
    """One seed of Avalanche's Naive, Replay, LwF, EWC and JointTraining, class-incremental."""
    import torch
    from avalanche.benchmarks.scenarios.deprecated.generators import nc_benchmark
    from avalanche.training import EWC, LwF, Naive, Replay
    from avalanche.training.plugins import EvaluationPlugin
    from avalanche.training.supervised import JointTraining
    from torch.utils.data import TensorDataset

    from replearn_core.augment import plain
    from replearn_core.backbones import build_backbone
    from replearn_core.incremental.job import prepare_data
    from replearn_core.incremental.model import IncrementalNet

    data = prepare_data(config)
    device = torch.device(config.device or "cpu")

    class Labelled(TensorDataset):  # what Avalanche reads: images, labels and a targets list
        def __init__(self, images, labels):
            super().__init__(images, labels)
            self.targets = labels.tolist()

    def whole(parts):  # every task's images; nc_benchmark cuts them into the same tasks by class order
        return Labelled(torch.cat([plain(d.images) for d in parts]), torch.cat([d.units for d in parts]))

    train, test = whole(data.train), whole(data.test)
    order = list(range(data.split.n_classes))  # output units are already numbered in the split's order

    out = {}
    for name in ("sequential", "replay", "lwf", "ewc", "joint"):
        bench = nc_benchmark(train, test, n_experiences=data.split.n_tasks, task_labels=False, seed=seed,
                             fixed_class_order=order)
        torch.manual_seed(seed)
        model = IncrementalNet(build_backbone(config.backbone), data.split.n_classes)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        common = dict(train_mb_size=config.batch_size, train_epochs=config.epochs, eval_mb_size=256, device=device,
                      evaluator=EvaluationPlugin(loggers=[]))  # quiet: the table says what it measured
        common.update(model=model, optimizer=optimizer, criterion=torch.nn.CrossEntropyLoss())
        strategy = {"sequential": lambda: Naive(**common),
                    "replay": lambda: Replay(mem_size=config.memory_per_class * data.split.n_classes, **common),
                    "lwf": lambda: LwF(alpha=config.lwf_weight, temperature=config.lwf_temperature, **common),
                    "ewc": lambda: EWC(ewc_lambda=config.ewc_lambda, **common),
                    "joint": lambda: JointTraining(**common)}[name]()
        if name == "joint":
            strategy.train(bench.train_stream)
        else:
            for experience in bench.train_stream:
                strategy.train(experience)
        model.eval()
        accuracies = []  # each task's test accuracy under the head over every class, averaged over the tasks
        with torch.no_grad():
            for part in data.test:
                predicted = model(plain(part.images).to(device)).argmax(1).cpu()
                accuracies.append(float((predicted == part.units).float().mean()))
        out[name] = sum(accuracies) / len(accuracies)
    return out


def main() -> int:
    from replearn_core.incremental import STRATEGIES, IncrementalConfig

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = IncrementalConfig()
    p.add_argument("--seeds", type=int, default=3, help="comparisons, seeds 0..N-1 (default 3)")
    p.add_argument("--first-seed", type=int, default=0, help="start the seeds here (to add seeds to a table)")
    p.add_argument("--dataset", default=defaults.dataset, help="digits (default), shapes or folder:PATH")
    p.add_argument("--n-tasks", type=int, default=defaults.n_tasks)
    p.add_argument("--scenario", default="both", help="class, task or both (default)")
    p.add_argument("--strategies", default=",".join(defaults.strategies))
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--image-size", type=int, default=defaults.image_size)
    p.add_argument("--max-train-images", type=int, default=None)
    p.add_argument("--eval-images", type=int, default=defaults.eval_images)
    p.add_argument("--backbone", default=defaults.backbone)
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the fastest present)")
    p.add_argument("--avalanche", action="store_true", help="also Avalanche's strategies (class-incremental)")
    p.add_argument("--out", default=str(RESULTS / "incremental.json"))
    args = p.parse_args()

    config = IncrementalConfig(dataset=args.dataset, n_tasks=args.n_tasks, scenario=args.scenario,
                               strategies=[s for s in args.strategies.split(",") if s], epochs=args.epochs,
                               image_size=args.image_size, max_train_images=args.max_train_images,
                               eval_images=args.eval_images, backbone=args.backbone,
                               device=args.device).validate(STRATEGIES)
    with tempfile.TemporaryDirectory(prefix="replearn-bench-incremental-") as scratch:
        os.environ["REPLEARN_DATA"] = scratch
        summaries, walls = [], []
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        for seed in seeds:
            summary, wall = run_comparison(config, seed)
            summaries.append(summary)
            walls.append(wall)
            print(f"seed {seed}: {wall:.1f} s wall ({summary['train_time_s']:.1f} s in training steps) on "
                  f"{summary['device']}", flush=True)
        rows = collect(summaries)
        note = None
        if args.avalanche:
            extra, note = avalanche_rows(config, seeds)
            rows += extra
    lines = [f"{config.dataset}, {config.n_tasks} tasks ({' | '.join(','.join(t) for t in summaries[0]['tasks'])}), "
             f"{args.seeds} seed(s), {config.epochs} epochs per task, {config.backbone} at {config.image_size} px, "
             f"on {summaries[0]['device']}", ""] + table(rows, config.dataset)
    lines += ["", f"whole comparison ({len(config.strategies)} strategies × {len(config.scenarios())} scenario(s)): "
                  f"{stat(walls)} s wall per seed"]
    if note:
        lines += ["", note]
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"config": config.to_dict(), "seeds": args.seeds, "wall_s": walls,
                                          "rows": rows, "avalanche_note": note, "summaries": summaries}, indent=1),
                              encoding="utf-8")
    failed = [r for r in rows if verdict(r["scenario"], r["strategy"], r["acc"], config.dataset).endswith("✗")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
