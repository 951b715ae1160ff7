"""``python -m replearn_core transfer``: compare fine-tuning strategies in the foreground, print the table."""

from __future__ import annotations

import json
import sys

from replearn_core.runs.config import field_help
from replearn_core.runs.jobs import execute_run
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore
from replearn_core.transfer.config import SupervisedConfig, TransferConfig

HELP = "compare transfer-learning strategies (linear probe, fine-tuning, LLRD, ...) across label fractions"


def add_arguments(p) -> None:
    d = TransferConfig()
    p.add_argument("--encoder", default=d.encoder,
                   help="RUN_ID of a finished ssl/supervised run, 'random' (the control), 'imagenet' "
                        "(torchvision ResNet-18, downloads once) or file:PATH (safetensors or torch weights) "
                        f"(default: {d.encoder})")
    p.add_argument("--source", metavar="DATASET",
                   help="first train a supervised encoder on this labelled source dataset (e.g. printed-digits) "
                        "and start from it; replaces --encoder")
    p.add_argument("--source-epochs", type=int, default=SupervisedConfig().epochs,
                   help="epochs of the supervised source run (with --source)")
    p.add_argument("--backbone", default=d.backbone,
                   help=f"architecture for random and file: encoders (default: {d.backbone})")
    p.add_argument("--dataset", default=d.dataset, help=f"target dataset or folder:PATH (default: {d.dataset})")
    p.add_argument("--eval-dataset", default=None,
                   help="held-out target images (default: the target's own test split)")
    from replearn_core.transfer import STRATEGIES

    own = "; ".join(f"{key}: --{o.name.replace('_', '-')}" for key, s in STRATEGIES.items() for o in s.options)
    p.add_argument("--strategies", default=",".join(d.strategies),
                   help=f"comma-separated: {', '.join(STRATEGIES)} (default: {','.join(d.strategies)}); the "
                        f"strategies' own settings: {own}")
    p.add_argument("--fractions", default=",".join(f"{f:g}" for f in d.fractions),
                   help="comma-separated label fractions in (0, 1] (default: 0.01,0.1,1)")
    for name, kind in [("epochs", int), ("min_steps", int), ("batch_size", int), ("lr", float),
                       ("weight_decay", float), ("freeze_stages", int), ("lr_decay", float),
                       ("unfreeze_every", int), ("probe_fraction", float), ("image_size", int),
                       ("max_train_images", int), ("eval_images", int), ("seed", int)]:
        default = getattr(d, name)
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=default,
                       help=f"{field_help(TransferConfig, name)} (default: {default})")
    p.add_argument("--no-augment", action="store_true", help="no crop/flip while fine-tuning")
    p.add_argument("--device", default=None, help="cpu, cuda or mps (default: the fastest present)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _fractions(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--fractions expects numbers like 0.01,0.1,1.0, got {text!r}") from None


def config_from_args(args) -> TransferConfig:
    from replearn_core.transfer import STRATEGIES

    names = ["epochs", "min_steps", "batch_size", "lr", "weight_decay", "freeze_stages", "lr_decay",
             "unfreeze_every", "probe_fraction", "image_size", "max_train_images", "eval_images", "seed"]
    return TransferConfig(encoder=args.encoder, backbone=args.backbone, dataset=args.dataset,
                          eval_dataset=args.eval_dataset,
                          strategies=[s.strip() for s in args.strategies.split(",") if s.strip()],
                          fractions=_fractions(args.fractions), augment=not args.no_augment, device=args.device,
                          **{n: getattr(args, n) for n in names}).validate(STRATEGIES)


def source_config(args) -> SupervisedConfig | None:
    """The supervised source run ``--source`` asks for, checked; None without ``--source``."""
    if not args.source:
        return None
    return SupervisedConfig(dataset=args.source, backbone=args.backbone, epochs=args.source_epochs,
                            image_size=args.image_size, seed=args.seed, device=args.device).validate()


def validate(args) -> TransferConfig:
    """The checked comparison (and ``--source`` run): ranges, names, the device here, the datasets."""
    from replearn_core.commands.preflight import check_dataset, check_device

    config = config_from_args(args)
    source = source_config(args)
    check_device(config.device)
    check_dataset(config.dataset, config.image_size)
    if config.eval_dataset:
        check_dataset(config.eval_dataset, config.image_size, ("all",))
    if source is not None:
        check_dataset(source.dataset, source.image_size)
    return config


def _execute(store: RunStore, kind: str, config: dict, label: str, quiet: bool) -> tuple[str, dict]:
    from replearn_core.commands.progress import ProgressBar

    run_id = store.create_run(kind, config, name=label)
    bar = None if quiet else ProgressBar(1000, label=label)

    def on_log(step, metrics):
        if bar is not None:
            run = store.get_run(run_id)
            bar.update(int(run.progress * 1000), (run.message or "")[:60])

    try:
        summary = execute_run(store, run_id, on_log=on_log)
    finally:
        if bar is not None:
            bar.close()
    run = store.get_run(run_id)
    if run.status != "finished":
        raise RuntimeError(f"{kind} run {run_id} {run.status}: {run.error}")
    return run_id, summary


def run(args) -> int:
    config = args.config
    source = source_config(args)
    store = open_store()
    try:
        if source is not None:
            config.encoder, _ = _execute(store, "supervised", source.to_dict(), f"supervised on {args.source}",
                                         args.quiet)
        run_id, summary = _execute(store, "transfer", config.to_dict(),
                                   f"transfer {config.encoder} → {config.dataset}", args.quiet)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result = {"run_id": run_id, **summary}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'strategy':>10} {'fraction':>8} {'labels':>7} {'accuracy':>9} {'time (s)':>9} {'trainable':>10}")
    for row in summary["table"]:
        print(f"{row['strategy']:>10} {row['fraction']:>8g} {row['n_labels']:>7} {row['accuracy']:>9.3f} "
              f"{row['train_time_s']:>9.2f} {row['trainable_params']:>10,}")
    print(summary["recommendation"].replace("**", "").replace("*", ""))
    print(f"run_id: {run_id}")
    return 0
