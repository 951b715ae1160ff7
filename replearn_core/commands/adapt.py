"""``python -m replearn_core adapt``: carry a classifier from a labelled source domain to an unlabelled target."""

from __future__ import annotations

from dataclasses import fields

HELP = "domain adaptation (source only, DANN, Deep CORAL, MMD): target accuracy before and after"

_FLAG_HELP = {
    "source": "labelled source domain: printed-digits, digits, pen-digits, mnist, svhn, usps or folder:PATH",
    "target": "unlabelled target domain with the same classes (its labels only score the result): digits, "
              "pen-digits, ...",
    "method": "source_only, dann, coral, mmd, or all to compare them in one run",
}


def add_arguments(p) -> None:
    from replearn_core.adaptation.job import AdaptConfig
    from replearn_core.commands.flags import config_flags

    config_flags(p, AdaptConfig, _FLAG_HELP)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def validate(args):
    """The checked adaptation run (an AdaptConfig): ranges, names, the device here, both domains."""
    from replearn_core.adaptation.job import AdaptConfig
    from replearn_core.commands.preflight import check_dataset, check_device

    config = AdaptConfig.from_dict({f.name: getattr(args, f.name) for f in fields(AdaptConfig)}).validate()
    check_device(config.device)
    check_dataset(config.source, config.image_size)
    check_dataset(config.target, config.image_size)
    return config


def run(args) -> int:
    from replearn_core.commands.progress import ProgressBar, run_in_foreground

    config = args.config
    from replearn_core.runs.reference import open_store

    store = open_store()
    run_id = store.create_run("adapt", config.to_dict(), name=f"adapt {config.method} {config.source}→{config.target}")
    methods = config.methods()
    bar = None if args.quiet else ProgressBar(len(methods) * 100, label=f"{config.source} → {config.target}")
    state = {"method": 0}

    def on_log(step, metrics):
        if bar is None:
            return
        for key, value in metrics.items():
            if key.startswith("target_acc/"):
                bar.update(state["method"] * 100 + 100, f"{key.split('/')[1]} target acc {value:.3f}", force=True)
            elif key.startswith("loss/"):
                name = key.split("/")[1]
                state["method"] = methods.index(name) if name in methods else state["method"]
                run = store.get_run(run_id)
                bar.update(int(run.progress * len(methods) * 100), f"{name} step {step} loss {value:.3f}")

    return run_in_foreground(store, run_id, on_log, bar, args.json,
                             ("target_acc_before", "target_acc_after", "domain_gap_before", "domain_gap_after",
                              "target_acc", "source_acc", "train_time_s"))
