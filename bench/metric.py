"""Benchmark: the four metric-learning losses trained for the same budget, compared on held-out retrieval.

    python bench/metric.py                         # built-in digits, 5 epochs each
    python bench/metric.py --dataset cifar10-shared --epochs 3 --max-train-images 10000
    python bench/metric.py --time-budget 60        # the same wall-clock budget for every loss

``cifar10-shared`` reads ../shared/data/cifar10 (train/ and test/ class folders) when present.
Prints one table row per loss: Precision@1, Recall@1/5/10, MAP@R, kNN accuracy, images/s, training time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = ["precision_at_1", "recall_at_1", "recall_at_5", "recall_at_10", "map_at_r", "knn_acc", "images_per_s",
        "train_time_s", "steps"]


def main() -> int:
    import torch

    from replearn_core.metric import METRIC_METHODS
    from replearn_core.runs import RunStore, execute_run
    from replearn_core.ssl.config import TrainConfig

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="digits", help="digits, shapes, cifar10-shared, folder:PATH, ...")
    p.add_argument("--methods", default=",".join(METRIC_METHODS), help="comma-separated losses")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--backbone", default="small_cnn")
    p.add_argument("--max-train-images", type=int, default=None)
    p.add_argument("--eval-images", type=int, default=1000)
    p.add_argument("--time-budget", type=float, default=None, help="seconds of training per loss (same for all)")
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
        dataset = f"folder:{shared}"
    store = RunStore(tempfile.mkdtemp(prefix="replearn-bench-metric-"))
    rows = []
    for method in args.methods.split(","):
        config = TrainConfig(method=method, dataset=dataset, backbone=args.backbone, epochs=args.epochs,
                             batch_size=args.batch_size, max_train_images=args.max_train_images,
                             eval_images=args.eval_images, time_budget_s=args.time_budget, device=args.device,
                             temperature=0.1)
        run_id = store.create_run("metric", config.to_dict())
        summary = execute_run(store, run_id)
        rows.append([method] + [summary.get(k) for k in KEYS])
        print(f"{method}: done", file=sys.stderr, flush=True)
    print(f"\nMetric learning on {args.dataset} · {args.backbone} · {args.epochs} epochs"
          + (f" · {args.time_budget:.0f} s budget" if args.time_budget else "")
          + f" · device {summary.get('device')} · retrieval on up to {args.eval_images} held-out images\n")
    header = ["loss", "P@1", "R@1", "R@5", "R@10", "MAP@R", "kNN", "img/s", "train s", "steps"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) and v <= 1 else str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
