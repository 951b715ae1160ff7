"""``python -m replearn_core train``: train a self-supervised (or metric-learning) encoder in the foreground."""

from __future__ import annotations

from dataclasses import fields

from replearn_core.commands.flags import config_flags
from replearn_core.runs.reference import open_store
from replearn_core.ssl.config import TrainConfig

HELP = "train an encoder with a self-supervised or metric-learning method, with a progress bar"

_FLAG_HELP = {
    "dataset": "shapes, digits, cifar10, stl10 or folder:PATH",
    "backbone": "cnn4, small_cnn, resnet18_cifar, resnet18 or vit; left out, the method's own backbone (MAE: vit), "
                "else small_cnn",
}


def metric_methods() -> dict:
    try:
        from replearn_core.metric import METRIC_METHODS
    except ImportError:
        return {}
    return METRIC_METHODS


def add_arguments(p) -> None:
    from replearn_core.ssl.methods import METHODS

    def method(p, default):
        p.add_argument("--method", default=default, help=f"method: {', '.join(METHODS)} (metric learning: "
                                                         f"{', '.join(metric_methods())}) (default: {default})")

    def backbone(p, default):  # None: the method's own backbone (config_from_args), so `--method mae` works
        p.add_argument("--backbone", default=None, help=_FLAG_HELP["backbone"])

    def below(p, default):  # --recipe and --option, after the settings
        pass

    config_flags(p, TrainConfig, _FLAG_HELP, {"method": method, "backbone": backbone, "recipe": below,
                                              "options": below})
    p.add_argument("--recipe", help="view recipe as JSON, e.g. '[{\"op\": \"crop\", \"p\": 1, \"strength\": 0.9}]'")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="method-specific setting (repeatable): " + "; ".join(
                       f"{name}: " + ", ".join(o.describe().rstrip(".") for o in options)
                       for name, options in [*((n, c.options) for n, c in METHODS.items()),
                                             *((n, m.options) for n, m in metric_methods().items())]
                       if options).replace("%", "%%"))
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _parse_option(text: str) -> tuple[str, str]:
    """KEY=VALUE; the method's declared option types the value (replearn_core.options)."""
    if "=" not in text:
        raise ValueError(f"--option expects KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def metric_config(config: TrainConfig):
    """The metric-learning run the flags describe (a MetricConfig, validated): a flag left at its
    self-supervised default takes the loss's own measured value (docs/metric_learning.md), and ``--temperature``
    goes to the options of a loss that has one (SupCon)."""
    from replearn_core.metric.config import MetricConfig

    shared = TrainConfig()
    values = {f.name: getattr(config, f.name) for f in fields(MetricConfig)}
    if values["lr"] == shared.lr:
        values["lr"] = None
    if config.temperature != shared.temperature:
        values["options"] = {"temperature": config.temperature, **values["options"]}
    return MetricConfig(**values).validate(metric_methods())


def config_from_args(args) -> TrainConfig:
    """The run the flags describe, not yet checked (``--recipe`` read as JSON, ``--option`` as KEY=VALUE)."""
    from replearn_core.commands.preflight import parse_json

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name not in ("recipe", "options")}
    values["recipe"] = parse_json("--recipe", args.recipe)
    values["options"] = dict(_parse_option(o) for o in args.option)
    if values.get("backbone") is None:  # not chosen: the one the method needs (MAE trains only the ViT)
        from replearn_core.ssl.methods import METHODS

        usable = getattr(METHODS.get(values.get("method")), "backbones", None)
        values["backbone"] = usable[0] if usable else TrainConfig().backbone
    return TrainConfig(**values)


def validate(args):
    """The checked run configuration (a TrainConfig, or a MetricConfig for a metric-learning loss): every
    range, the options, the recipe, the device on this machine and the dataset (a folder's image count); a
    ValueError names what is wrong. Nothing is stored."""
    from replearn_core.commands.preflight import check_dataset, check_device
    from replearn_core.ssl.methods import METHODS

    config = config_from_args(args)
    config = metric_config(config) if config.method in metric_methods() else config.validate(METHODS)
    check_device(config.device)
    check_dataset(config.dataset, config.image_size)
    if config.eval_dataset:
        check_dataset(config.eval_dataset, config.image_size, ("all",))
    return config


def run(args) -> int:
    from replearn_core.commands.progress import ProgressBar, run_in_foreground
    from replearn_core.metric.config import MetricConfig

    config = args.config
    kind = "metric" if isinstance(config, MetricConfig) else "ssl"
    store = open_store()
    run_id = store.create_run(kind, config.to_dict())
    bar = None if args.quiet else ProgressBar(config.epochs, label=f"{config.method} on {config.dataset}")

    def on_log(step, metrics):
        if bar is None:
            return
        epoch = metrics.get("epoch")
        loss = metrics.get("loss")
        if loss is not None and epoch is not None:
            bar.update(max(0, int(epoch) - 1), f"epoch {int(epoch)} step {step} loss {loss:.4f}")
        elif "knn_acc" in metrics:
            bar.update(int(metrics.get("epoch", 0) or 0), f"kNN acc {metrics['knn_acc']:.3f}", force=True)

    return run_in_foreground(store, run_id, on_log, bar, args.json,
                             ("knn_acc_init", "knn_acc", "linear_probe_acc", "collapse_std", "effective_rank", "images_per_s",
                              "train_time_s"))
