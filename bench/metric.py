"""Benchmark: the metric-learning losses (table 3.3 of the first article) on held-out retrieval, over seeds.

    python bench/metric.py                          # shapes, the page's defaults, seeds 0,1,2
    python bench/metric.py --sensitivity            # and each loss's main setting swept (seed 0)
    python bench/metric.py --dataset cifar10-shared --max-train-images 10000 --time-budget 120
    python bench/metric.py --dataset digits --seeds 0   # digits: the untrained encoder already retrieves well

Losses: triplet with batch-hard and with batch-all mining, the Siamese contrastive loss, ArcFace and SupCon,
each from the same defaults as the page (``TrainConfig`` and each loss's own settings). ``cifar10-shared``
reads ../shared/data/cifar10 (train/ and test/ class folders) when present. Prints per loss the mean ± std
over seeds of Precision@1, Recall@5, MAP@R and training time, beside the untrained encoder's MAP@R and the
gain over it (target of issue 12 on shapes: ≥ 0.2 for every loss in ≤ 120 s). With ``--sensitivity``, a
second table gives MAP@R for each value of the loss's main setting (margin, scale, temperature) and its
range, max − min: how much a wrong setting costs, the "training difficulty" of the seeds made measurable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# row name -> (method, options); batch-all triplet is its own row
VARIANTS = {
    "triplet (batch-hard)": ("triplet", {"mining": "batch_hard"}),
    "triplet (batch-all)": ("triplet", {"mining": "batch_all"}),
    "contrastive (Siamese)": ("contrastive", {}),
    "ArcFace": ("arcface", {}),
    "SupCon": ("supcon", {}),
}
# the main setting of each loss and the values swept around its default
SWEEPS = {
    "triplet (batch-hard)": ("margin", [0.1, 0.2, 0.4, 0.8]),
    "triplet (batch-all)": ("margin", [0.1, 0.2, 0.4, 0.8]),
    "contrastive (Siamese)": ("margin", [0.5, 1.0, 2.0]),
    "ArcFace": ("scale", [8.0, 16.0, 32.0, 64.0]),
    "SupCon": ("temperature", [0.05, 0.1, 0.3, 1.0]),
}
GAIN_TARGET = 0.2  # MAP@R over the untrained encoder
TIME_LIMIT_S = 120.0


def _mean_std(values: list[float], digits: int = 3) -> str:
    if len(values) == 1:  # one seed: no spread to show
        return f"{values[0]:.{digits}f}"
    sd = statistics.stdev(values)
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}"


def main() -> int:
    import torch

    from replearn_core.runs import RunStore, execute_run
    from replearn_core.ssl.config import TrainConfig

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="shapes", help="shapes, digits, cifar10-shared, folder:PATH, ...")
    p.add_argument("--losses", default=",".join(VARIANTS), help="comma-separated row names")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=None, help="default: the metric job's (5)")
    p.add_argument("--batch-size", type=int, default=None, help="default: the metric job's (128)")
    p.add_argument("--backbone", default=TrainConfig().backbone)
    p.add_argument("--temperature", type=float, default=0.1, help="SupCon's τ (the page's default)")
    p.add_argument("--max-train-images", type=int, default=None)
    p.add_argument("--eval-images", type=int, default=1000)
    p.add_argument("--time-budget", type=float, default=None, help="seconds of training per loss (same for all)")
    p.add_argument("--sensitivity", action="store_true", help="also sweep each loss's main setting (seed 0)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dataset = args.dataset
    if dataset == "cifar10-shared":
        shared = ROOT.parent / "shared" / "data" / "cifar10"
        if not shared.is_dir():
            print(f"skipped: {shared} not found")
            return 0
        dataset = f"folder:{shared}"  # its train/ and test/ folders are the two splits
    store = RunStore(tempfile.mkdtemp(prefix="replearn-bench-metric-"))

    def run(name: str, seed: int, extra: dict | None = None) -> dict:
        method, options = VARIANTS[name]
        extra = dict(extra or {})
        temperature = extra.pop("temperature", args.temperature)
        config = TrainConfig(method=method, dataset=dataset, backbone=args.backbone,
                             epochs=args.epochs, batch_size=args.batch_size, max_train_images=args.max_train_images,
                             eval_images=args.eval_images, time_budget_s=args.time_budget, device=args.device,
                             temperature=temperature, seed=seed, options={**options, **extra})
        summary = execute_run(store, store.create_run("metric", config.to_dict()))
        print(f"{name} seed {seed} {extra or ''}: MAP@R {summary.get('map_at_r')} (untrained "
              f"{summary.get('map_at_r_init')}), {summary.get('train_time_s')} s", file=sys.stderr, flush=True)
        return summary

    names = args.losses.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {name: [run(name, seed) for seed in seeds] for name in names}

    print(f"\nMetric learning on {args.dataset} · {args.backbone} · epochs {args.epochs or 'default'} · "
          f"seeds {args.seeds} · retrieval on up to {args.eval_images} held-out images · mean ± std\n")
    print("| loss | P@1 | R@5 | MAP@R | untrained P@1 | untrained MAP@R | MAP@R gain | train s |")
    print("|---|---|---|---|---|---|---|---|")
    failures = []
    for name, summaries in results.items():
        gains = [s["map_at_r"] - s["map_at_r_init"] for s in summaries]
        times = [s["train_time_s"] for s in summaries]
        print(f"| {name} | {_mean_std([s['precision_at_1'] for s in summaries])} | "
              f"{_mean_std([s['recall_at_5'] for s in summaries])} | {_mean_std([s['map_at_r'] for s in summaries])} | "
              f"{_mean_std([s['precision_at_1_init'] for s in summaries])} | "
              f"{_mean_std([s['map_at_r_init'] for s in summaries])} | {_mean_std(gains)} | "
              f"{_mean_std(times, 0)} |")
        if statistics.mean(gains) < GAIN_TARGET:
            failures.append(f"{name}: MAP@R gain {statistics.mean(gains):.3f} < {GAIN_TARGET}")
        if max(times) > TIME_LIMIT_S:
            failures.append(f"{name}: {max(times):.0f} s of training > {TIME_LIMIT_S:.0f} s (check the load)")
    if args.sensitivity:
        print("\n| loss | setting | MAP@R at each value (seed 0) | range (max − min) |")
        print("|---|---|---|---|")
        for name in names:
            key, values = SWEEPS[name]
            maps = [run(name, seeds[0], {key: v})["map_at_r"] for v in values]
            cells = ", ".join(f"{v:g}: {m:.3f}" for v, m in zip(values, maps))
            print(f"| {name} | {key} | {cells} | {max(maps) - min(maps):.3f} |")
    print("\ntargets: " + ("all met" if not failures else "NOT met:\n  " + "\n  ".join(failures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
