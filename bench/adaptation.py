"""Benchmark: source only, DANN, Deep CORAL and MK-MMD on the built-in printed → handwritten digit pair.

    python bench/adaptation.py                     # printed-digits → digits, defaults of the adapt command
    python bench/adaptation.py --epochs 5 --seeds 0,1
    python bench/adaptation.py --source mnist --target usps   # online only

Every method starts from the same initial weights and trains for the same number of steps; the
target's labels only score the result. Prints target accuracy, source accuracy and the domain gap
(MK-MMD between normalised source and target test features) per method and seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    import torch

    from replearn_core.adaptation.job import AdaptConfig
    from replearn_core.runs import RunStore, execute_run

    defaults = AdaptConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default=defaults.source)
    p.add_argument("--target", default=defaults.target)
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--trade-off", type=float, default=defaults.trade_off)
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    store = RunStore(tempfile.mkdtemp(prefix="replearn-bench-adapt-"))
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        config = AdaptConfig(source=args.source, target=args.target, method="all", epochs=args.epochs,
                             batch_size=args.batch_size, trade_off=args.trade_off, seed=seed, device=args.device)
        run_id = store.create_run("adapt", config.to_dict())
        s = execute_run(store, run_id)
        if "target_acc" not in s:
            print(f"seed {seed}: {s}", file=sys.stderr)
            continue
        gaps = {a.meta.get("method"): a for a in store.artifacts(run_id, kind="feature_map")}
        for method, acc in s["target_acc"].items():
            from safetensors.torch import load_file
            gap = float(load_file(str(gaps[method].path))["domain_gap"][0])
            rows.append([seed, method, acc, s["source_acc"][method], gap])
        print(f"seed {seed}: done in {s['train_time_s']} s of training", file=sys.stderr, flush=True)
    print(f"\nDomain adaptation {args.source} → {args.target} · {args.epochs} epochs · batch {args.batch_size} · "
          f"w = {args.trade_off}\n")
    print("| seed | method | target acc | source acc | domain gap (MMD) |")
    print("|---|---|---|---|---|")
    for seed, method, acc, src, gap in rows:
        print(f"| {seed} | {method} | {acc:.3f} | {src:.3f} | {gap:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
