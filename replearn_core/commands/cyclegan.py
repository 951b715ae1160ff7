"""``python -m replearn_core cyclegan``: train a CycleGAN (apples ↔ oranges by default) in the foreground."""

from __future__ import annotations

import sys
from dataclasses import fields

from replearn_core.cyclegan.config import IMAGE_SIZES, CycleGANConfig
from replearn_core.runs.config import field_help

HELP = "train a CycleGAN between two image domains (fruit, apple2orange or folder:PATH), with a progress bar"

_FLAGS = {"dataset": "--data", "image_size": "--size"}  # short names the examples use
_OPTIONAL_INT = ("max_train_images", "cpu_threads")
_OPTIONAL_FLOAT = ("time_budget_s",)


def _optional(cast):
    def parse(text: str):
        return None if text.lower() in ("none", "all", "") else cast(text)
    return parse


def add_arguments(p) -> None:
    defaults = CycleGANConfig()
    for f in fields(CycleGANConfig):
        flag = _FLAGS.get(f.name, "--" + f.name.replace("_", "-"))
        default = getattr(defaults, f.name)
        if f.name in _OPTIONAL_INT:
            kind = _optional(int)
        elif f.name in _OPTIONAL_FLOAT:
            kind = _optional(float)
        elif isinstance(default, bool) or default is None:
            kind = str
        else:
            kind = type(default)
        extra = {"choices": IMAGE_SIZES} if f.name == "image_size" else {}
        p.add_argument(flag, dest=f.name, type=kind, default=default,
                       help=f"{field_help(CycleGANConfig, f.name)} (default: {default})".replace("%", "%%"), **extra)
    p.add_argument("--json", action="store_true", help="print the final losses and speed as one JSON object "
                                                        "on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def validate(args) -> CycleGANConfig:
    """The checked CycleGAN run: ranges and the device here (the domains are read, and named when wrong, as
    the run starts)."""
    from replearn_core.commands.preflight import check_device

    config = CycleGANConfig(**{f.name: getattr(args, f.name) for f in fields(CycleGANConfig)}).validate()
    check_device(config.device)
    return config


def run(args) -> int:
    from replearn_core.commands.progress import ProgressBar, run_in_foreground

    config = args.config
    from replearn_core.runs.reference import open_store

    store = open_store()
    run_id = store.create_run("cyclegan", config.to_dict(), name=f"cyclegan {config.dataset} {config.image_size}px")
    bar = None if args.quiet else ProgressBar(100, label=f"cyclegan on {config.dataset}")

    def on_log(step, metrics):
        if bar is not None and "loss_cycle" in metrics:
            fraction = store.get_run(run_id).progress if step % 20 == 0 else None
            if fraction is not None:
                bar.update(int(fraction * 100), f"step {step} G {metrics['loss_G']:.3f} D {metrics['loss_D']:.3f} "
                                                f"cycle {metrics['loss_cycle']:.3f}")

    if not args.json:
        print(f"translate afterwards with: python -m replearn_core translate --run {run_id} --direction AtoB "
              f"IMAGE... --out DIR", file=sys.stderr)
    return run_in_foreground(store, run_id, on_log, bar, args.json,
                             ("steps", "loss_G", "loss_D", "loss_cycle", "loss_identity", "images_per_s",
                              "train_time_s"))
