"""Train and export the reference runs: one long run per self-supervised method, shipped in assets/reference_runs.

    .venv/bin/python bench/reference_runs.py --times 4                              # every method not exported yet
    .venv/bin/python bench/reference_runs.py --methods simclr,byol --epochs 200 --force   # redo these two
    .venv/bin/python bench/reference_runs.py --first-maps                           # only the shipped first maps

Each method trains with the engine's default settings (``TrainConfig(method=..., dataset="shapes")``; only
``epochs`` changes, and ``checkpoint_every`` so that the scratch folder keeps one checkpoint, not one per
epoch) as a real "ssl" run executed in this process, the job the app and ``python -m replearn_core train``
run. The runs go to a scratch data folder (bench/results/reference_runs_data_<pid>, deleted unless --keep);
each finished run is exported at once to ``assets/reference_runs/<method>/`` by
:func:`replearn_core.runs.reference.export_reference_run` (final encoder in float16, curves, settings). A
method whose folder is already there is skipped unless --force, so an interrupted regeneration resumes
where it stopped. Each exported run also gets its ``first_map.safetensors``, the Feature maps page's default map
(:func:`replearn_core.projection.first_map.export_first_map`, about 10 kB), what a fresh classroom's first map is drawn
from; ``--first-maps`` makes only those again, for the folders already there (after a change of the page's
default map or of the projection), without training. The table at the end: method, epochs, minutes of training, kNN accuracy untrained and at
the end, size in MB; the total must stay within the 30 MB budget (exit code 1 otherwise, or if a run failed).
``--set KEY=VALUE`` changes another setting, for trials only (the shipped runs use the defaults).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def parse_settings(pairs: list[str]) -> dict:
    """``["max_train_images=300", "device=cpu"]`` -> ``{"max_train_images": 300, "device": "cpu"}``."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set takes KEY=VALUE, got {pair!r}")
        try:
            settings[key.strip()] = json.loads(value)
        except ValueError:
            settings[key.strip()] = value
    return settings


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from replearn_core.paths import reference_runs_dir
    from replearn_core.ssl.methods import METHODS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated method names (default: all)")
    length = parser.add_mutually_exclusive_group(required=True)
    length.add_argument("--first-maps", action="store_true",
                        help="only make the shipped first maps of the folders already there (no training)")
    length.add_argument("--epochs", type=int, help="training length of every run, in epochs")
    length.add_argument("--times", type=float,
                        help="training length as a multiple of each method's default run (e.g. 4: four times its "
                             "default epochs, about 6 minutes on 2 CPU cores)")
    parser.add_argument("--force", action="store_true", help="train and export again methods already exported")
    parser.add_argument("--dataset", default="shapes", help="dataset of the runs (default shapes)")
    parser.add_argument("--target", default=None,
                        help=f"folder of the reference runs (default {reference_runs_dir()})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="another TrainConfig setting (JSON value), for trials: the shipped runs use defaults")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data folder of the runs")
    args = parser.parse_args(argv)

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
    if (args.epochs is not None and args.epochs < 1) or (args.times is not None and args.times <= 0):
        parser.error("--epochs must be at least 1 and --times above 0")
    target = Path(args.target).resolve() if args.target else reference_runs_dir()
    overrides = {"dataset": args.dataset, **parse_settings(args.set)}
    command = "bench/reference_runs.py " + " ".join(argv if argv is not None else sys.argv[1:])

    scratch = RESULTS / f"reference_runs_data_{os.getpid()}"
    os.environ["REPLEARN_DATA"] = str(scratch)
    if args.first_maps:
        return first_maps(target, methods, scratch, args.keep)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from replearn_core.device import describe, pick_device
    from replearn_core.runs import RunStore, execute_run
    from replearn_core.projection.first_map import export_first_map
    from replearn_core.runs.reference import SIZE_BUDGET_MB, ReferenceAssetError, export_reference_run, folder_bytes
    from replearn_core.ssl.config import TrainConfig

    device = pick_device(overrides.get("device"))
    length = f"{args.epochs} epochs" if args.epochs else f"{args.times:g} × the default epochs"
    print(f"device: {describe(device)}; {length} per method on {args.dataset}; "
          f"target {target}", flush=True)
    store = RunStore(scratch)  # a plain store: the scratch folder needs no copy of the shipped runs
    rows = []
    for method in methods:
        folder = target / method
        if (folder / "run.json").exists() and not args.force:
            try:
                rows.append(row_of(method, "skipped (--force redoes it)", folder))
                print_row(rows[-1], header=len(rows) == 1)
                continue
            except ReferenceAssetError as exc:
                print(f"{method}: {exc}; training it again", flush=True)
        epochs = args.epochs or max(1, round(args.times * METHODS[method].default_epochs))
        defaults = TrainConfig(method=method, backbone=METHODS[method].default_backbone).to_dict()  # MAE: the vit
        config = TrainConfig.from_dict({**defaults, **overrides, "epochs": epochs,
                                        "checkpoint_every": epochs}).validate(METHODS)
        run_id = store.create_run("ssl", config.to_dict(), name=f"reference {method}")
        try:
            execute_run(store, run_id, device=device)
        except Exception:  # noqa: BLE001 - recorded as failed with its message; go on with the next method
            pass
        run = store.get_run(run_id)
        if run.status != "finished":
            rows.append({"method": method, "status": f"{run.status}: {run.error}"})
        else:
            export_reference_run(store, run_id, target, name=method, extra={
                "generated_by": command, "git_commit": git_commit(),
                "settings_changed": {**overrides, "epochs": epochs}})
            export_first_map(folder)
            rows.append(row_of(method, "exported", folder))
        print_row(rows[-1], header=len(rows) == 1)
    store.close()
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)

    total_mb = sum(folder_bytes(f) for f in target.iterdir() if f.is_dir()) / 1e6 if target.is_dir() else 0.0
    print()
    for i, row in enumerate(rows):
        print_row(row, header=i == 0)
    over = total_mb > SIZE_BUDGET_MB
    print(f"\nall reference runs in {target}: {total_mb:.1f} MB (budget {SIZE_BUDGET_MB:.0f} MB)"
          + ("  OVER BUDGET" if over else ""))
    failed = [r for r in rows if not r["status"].startswith(("exported", "skipped"))]
    return 1 if failed or over else 0


def first_maps(target: Path, methods: list[str], scratch: Path, keep: bool) -> int:
    """Make the first map of every chosen folder already in ``target``; prints each one's size and time."""
    import time

    from replearn_core.projection.first_map import export_first_map
    from replearn_core.runs.reference import FIRST_MAP_FILE, ReferenceAssetError

    failed, total = 0, 0
    for method in methods:
        folder = target / method
        if not (folder / "run.json").exists():
            print(f"{method}: no folder in {target}; train it first", flush=True)
            continue
        t0 = time.perf_counter()
        try:
            path = export_first_map(folder)
        except (ReferenceAssetError, ValueError) as exc:
            print(f"{method}: {exc}", flush=True)
            failed += 1
            continue
        total += path.stat().st_size
        print(f"{method:<13} {FIRST_MAP_FILE} {path.stat().st_size / 1e3:6.1f} kB  in {time.perf_counter() - t0:5.1f} s",
              flush=True)
    print(f"first maps: {total / 1e3:.1f} kB in all")
    if not keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


def row_of(method: str, status: str, folder: Path) -> dict:
    """A table row read back from an exported folder, checked as the app will read it."""
    from replearn_core.runs.reference import folder_bytes, read_reference_folder

    s = read_reference_folder(folder).run["summary"]
    return {"method": method, "status": status, "epochs": s.get("epochs_done"),
            "minutes": (s.get("train_time_s") or 0) / 60, "knn_init": s.get("knn_acc_init"),
            "knn": s.get("knn_acc"), "size_mb": folder_bytes(folder) / 1e6}


def fmt(value, spec):
    return "" if value is None else format(value, spec)


def print_row(row: dict, header: bool = False) -> None:
    if header:
        print(f"{'method':<13} {'epochs':>6} {'minutes':>8} {'kNN init':>8} {'kNN':>6} {'size MB':>8}  status",
              flush=True)
    print(f"{row['method']:<13} {fmt(row.get('epochs'), 'd'):>6} {fmt(row.get('minutes'), '.1f'):>8} "
          f"{fmt(row.get('knn_init'), '.3f'):>8} {fmt(row.get('knn'), '.3f'):>6} {fmt(row.get('size_mb'), '.2f'):>8}"
          f"  {row['status']}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
