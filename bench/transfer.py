"""Transfer-learning comparison on real images: strategy × label fraction, accuracy and time.

    .venv/bin/python bench/transfer.py                       # CIFAR-10 folders, SimCLR encoder, CPU-sized
    .venv/bin/python bench/transfer.py --suite digits        # the built-in pair: printed → handwritten digits
    .venv/bin/python bench/transfer.py --ssl-budget 600 --backbone resnet18_cifar --max-train-images 0   # GPU

cifar10 suite: a self-supervised encoder (``--method``, default SimCLR) is trained for a fixed time budget
(``--ssl-budget`` seconds) on ``folder:../shared/data/cifar10/train`` without labels; then every strategy
is trained on 1 %, 10 % and 100 % of the same images' labels and evaluated on
``folder:../shared/data/cifar10/test``. The from-scratch control (``scratch``) shows what the
pretraining bought. digits suite: a supervised encoder on ``printed-digits`` → target ``digits``.
Times are the training time of each row (feature caching included, evaluations excluded); the
machine is shared, so they are noisy: compare rows of one table, not tables of two runs.
``--seed N`` draws other label subsets (and seeds the encoder's run): repeat with 1, 2, ... before
reading a difference of a few points in the 1 % column, which rests on about 44 labels.
Results go to bench/results/transfer_<suite>[_seed<N>].json and print as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
CIFAR = ROOT.parent / "shared" / "data" / "cifar10"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", choices=["cifar10", "digits"], default="cifar10")
    p.add_argument("--method", default="simclr", help="self-supervised method of the encoder (cifar10 suite)")
    p.add_argument("--backbone", default="small_cnn")
    p.add_argument("--ssl-budget", type=float, default=120.0, help="seconds of self-supervised training")
    p.add_argument("--source-epochs", type=int, default=3, help="epochs of the supervised source (digits suite)")
    p.add_argument("--strategies", default="linear,logreg,full,llrd,scratch")
    p.add_argument("--fractions", default="0.01,0.1,1.0")
    p.add_argument("--epochs", type=int, default=None, help="default: 2 for cifar10, 8 for digits")
    p.add_argument("--min-steps", type=int, default=None, help="default: 40 for cifar10, 60 for digits")
    p.add_argument("--max-train-images", type=int, default=4000, help="target images (0 = all 10,000)")
    p.add_argument("--eval-images", type=int, default=1000)
    p.add_argument("--data", default=None, help="data folder for the runs (default: a temporary one)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the encoder's run, the label subsets, the heads and the batch order; "
                        "repeat with 1, 2, ... to see how much one draw of labels moves a row")
    args = p.parse_args()
    os.environ.setdefault("REPLEARN_DATA", args.data or tempfile.mkdtemp(prefix="replearn_bench_"))

    from replearn_core.runs.jobs import execute_run
    from replearn_core.ssl.config import TrainConfig
    from replearn_core.transfer.config import SupervisedConfig, TransferConfig

    if args.epochs is None:
        args.epochs = 2 if args.suite == "cifar10" else TransferConfig.epochs
    if args.min_steps is None:
        args.min_steps = 40 if args.suite == "cifar10" else TransferConfig.min_steps
    from replearn_core.runs.reference import open_store

    store = open_store()
    started = time.perf_counter()
    if args.suite == "cifar10":
        if not (CIFAR / "train").is_dir():
            print(f"no CIFAR-10 folders at {CIFAR}; nothing to measure", file=sys.stderr)
            return 1
        train, test = f"folder:{CIFAR / 'train'}", f"folder:{CIFAR / 'test'}"
        source = TrainConfig(method=args.method, dataset=train, backbone=args.backbone, epochs=1000,
                             time_budget_s=args.ssl_budget, eval_images=500, knn_bank_images=2000,
                             checkpoint_every=1000, seed=args.seed)
        source_kind, target, eval_dataset = "ssl", train, test
    else:
        source = SupervisedConfig(dataset="printed-digits", backbone=args.backbone, epochs=args.source_epochs,
                                  seed=args.seed)
        source_kind, target, eval_dataset = "supervised", "digits", None
    source_id = store.create_run(source_kind, source.to_dict())
    print(f"training the {source_kind} encoder ({source_id}) …", file=sys.stderr)
    source_summary = execute_run(store, source_id)
    config = TransferConfig(encoder=source_id, dataset=target, eval_dataset=eval_dataset,
                            strategies=args.strategies.split(","),
                            fractions=[float(f) for f in args.fractions.split(",")], epochs=args.epochs,
                            min_steps=args.min_steps, max_train_images=args.max_train_images or None,
                            eval_images=args.eval_images, seed=args.seed)
    run_id = store.create_run("transfer", config.to_dict())
    print(f"comparing strategies ({run_id}) …", file=sys.stderr)
    summary = execute_run(store, run_id)
    rows = summary["table"]
    device = summary["device"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"suite": args.suite, "source": {k: source_summary.get(k) for k in
                                           ("method", "dataset", "knn_acc_init", "knn_acc", "test_acc",
                                            "train_time_s", "steps", "epochs_done")},
           "config": config.to_dict(), "device": device, "table": rows,
           "recommendation": summary["recommendation"], "total_s": round(time.perf_counter() - started, 1)}
    name = f"transfer_{args.suite}" + (f"_seed{args.seed}" if args.seed else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=1))
    print(f"\nsource encoder: {out['source']}  seed: {args.seed}  device: {device}")
    fractions = sorted({r["fraction"] for r in rows})
    by = {(r["strategy"], r["fraction"]): r for r in rows}
    print("\n| strategy | " + " | ".join(f"acc @ {f:.0%} ({by[rows[0]['strategy'], f]['n_labels']} labels)"
                                          for f in fractions)
          + " | " + " | ".join(f"time @ {f:.0%} (s)" for f in fractions) + " | trainable params |")
    print("|---" * (2 * len(fractions) + 2) + "|")
    for strategy in dict.fromkeys(r["strategy"] for r in rows):
        accs = " | ".join(f"{by[strategy, f]['accuracy']:.3f}" for f in fractions)
        times = " | ".join(f"{by[strategy, f]['train_time_s']:.1f}" for f in fractions)
        print(f"| {strategy} | {accs} | {times} | {by[strategy, fractions[-1]]['trainable_params']:,} |")
    print("\n" + summary["recommendation"])
    print(f"\ntotal {out['total_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
