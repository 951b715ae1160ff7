"""Identity check: tiny seeded runs of the self-supervised, metric-learning, supervised and transfer jobs,
whose numbers must not change when the code is reorganised.

Each run trains on the CPU with one thread, on a few hundred ``shapes`` images for an epoch or two, through the
same job function the worker calls (runs.jobs.JOBS), into a fresh data folder. The table lists, for every logged curve that is not a
timing, its number of points, its last value and the sum of its values; ``--json`` prints every point.

    python bench/identity.py                    # the table for the working tree
    python bench/identity.py --against 60cf6b2  # the same runs on that commit (a temporary git worktree), and
                                                # every curve of both compared to 1e-6

The runs of another commit import its ``replearn_core`` (``--tree`` at a worktree of it); only this script
comes from the working tree.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-6
TIMINGS = ("images_per_s", "train_time_s", "wall_time_s")  # wall-clock numbers: never equal twice

_TINY = dict(dataset="shapes", backbone="cnn4", epochs=2, batch_size=64, max_train_images=256, eval_images=128,
             knn_bank_images=256, seed=0, device="cpu")
RUNS = {  # name -> (job kind, config)
    # more images than the untrained baseline's quick estimate takes: its estimate, then its full scores
    "ssl simclr": ("ssl", dict(_TINY, method="simclr", max_train_images=640, knn_bank_images=600)),
    "ssl byol": ("ssl", dict(_TINY, method="byol")),  # a momentum encoder (after_update)
    "ssl autoencoder": ("ssl", dict(_TINY, method="autoencoder")),  # stores its whole method (lab views)
    "metric triplet": ("metric", dict(_TINY, method="triplet")),
    "metric supcon": ("metric", dict(_TINY, method="supcon")),
    "supervised": ("supervised", dict(dataset="shapes", backbone="small_cnn", epochs=2, batch_size=64,
                                      max_train_images=256, eval_images=128, seed=0, device="cpu")),
    "transfer": ("transfer", dict(encoder="random", backbone="small_cnn", dataset="shapes",
                                  strategies=["linear", "full", "llrd"], fractions=[0.25, 1.0], epochs=1, min_steps=6,
                                  batch_size=64, max_train_images=256, eval_images=128, seed=0, device="cpu")),
}


def run_all() -> dict[str, dict[str, list[list[float]]]]:
    """{run: {curve: [[step, value], ...]}} of every run, timings left out."""
    import torch

    torch.set_num_threads(1)
    from replearn_core.runs.context import RunContext
    from replearn_core.runs.store import RunStore

    from replearn_core.runs.jobs import JOBS

    def job(kind):
        module, function = JOBS[kind].split(":")
        return getattr(importlib.import_module(module), function)

    out = {}
    for name, (kind, config) in RUNS.items():
        with tempfile.TemporaryDirectory() as folder:
            store = RunStore(folder)
            run_id = store.create_run(kind, dict(config))
            ctx = RunContext(store, run_id, torch.device("cpu"))
            try:
                summary = job(kind)(dict(config), ctx)
                ctx.flush()
            finally:
                ctx.close()
            curves = {key: [[s, v] for s, v in zip(steps, values)]
                      for key, (steps, values) in sorted(store.metrics(run_id).items()) if key not in TIMINGS}
            curves.update({f"summary.{key}": [[0, float(value)]] for key, value in sorted(summary.items())
                           if isinstance(value, (int, float)) and not isinstance(value, bool)
                           and key not in TIMINGS})
            out[name] = curves
    return out


def table(results: dict) -> str:
    lines = [f"{'run':<16} {'curve':<30} {'points':>6} {'last':>14} {'sum':>16}"]
    for run, curves in results.items():
        for key, points in curves.items():
            values = [v for _, v in points]
            lines.append(f"{run:<16} {key:<30} {len(values):>6} {values[-1]:>14.8f} {math.fsum(values):>16.8f}")
    return "\n".join(lines)


def compare(now: dict, then: dict) -> list[str]:
    """The differences between two results, one line each (empty: identical to TOLERANCE)."""
    differences = []
    for run in sorted(set(now) | set(then)):
        a, b = now.get(run, {}), then.get(run, {})
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                differences.append(f"{run} {key}: only {'now' if key in a else 'before'}")
                continue
            if [s for s, _ in a[key]] != [s for s, _ in b[key]]:
                differences.append(f"{run} {key}: steps differ")
                continue
            worst = max(abs(x - y) for (_, x), (_, y) in zip(a[key], b[key]))
            if not worst <= TOLERANCE:
                differences.append(f"{run} {key}: differs by up to {worst:.3g}")
    return differences


def results_at(ref: str) -> dict:
    """This script's results on a commit, run in a temporary worktree of it."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json", "--tree", str(tree)],
                                 cwd=tree, check=True, capture_output=True, text=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print every point of every curve as one JSON line")
    parser.add_argument("--against", metavar="REF", help="also run the commit REF and compare every curve")
    parser.add_argument("--tree", default=str(ROOT), help="the source tree whose replearn_core runs (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    os.environ.setdefault("REPLEARN_COMPILE_MAPS", "0")
    now = run_all()
    if args.json:
        print(json.dumps(now))
        return 0
    print(table(now))
    if args.against:
        differences = compare(now, results_at(args.against))
        print(f"\nagainst {args.against}: " + ("identical (every curve and summary number within "
                                                f"{TOLERANCE:g})" if not differences else "DIFFERENT"))
        print("\n".join(differences))
        return 1 if differences else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
