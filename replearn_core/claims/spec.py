"""What a claim is made of: the runs it needs, how its numbers come from them, and how it is judged.

A :class:`Claim` is data: its text (English, and Chinese in the articles' own terms), where the
article says it, the runs it needs (:class:`RunSpec`, overrides of the engine's default
``TrainConfig`` / ``TransferConfig``), a ``measure`` function from finished runs to named numbers,
a verdict rule (:mod:`.verdicts`) and one sentence per failing verdict saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from replearn_core.claims.verdicts import AllOf, Exceeds
from replearn_core.i18n import DEFAULT_LANGUAGE, translate

# metric-learning rows (the rows of bench/metric.py): key -> (method, options, name)
METRIC_VARIANTS = {"triplet-batch_hard": ("triplet", {"mining": "batch_hard"}, "triplet (batch-hard)"),
                   "triplet-batch_all": ("triplet", {"mining": "batch_all"}, "triplet (batch-all)"),
                   "contrastive": ("contrastive", {}, "contrastive (Siamese)"),
                   "arcface": ("arcface", {}, "ArcFace"),
                   "supcon": ("supcon", {}, "SupCon")}
STRATEGY_NAMES = {"linear": "feature extraction", "full": "full fine-tuning", "llrd": "layer-wise LR",
                  "scratch": "from scratch"}


def method_name(method: str) -> str:
    """A self-supervised method's name in the claims' tables and run titles: its registry's short title."""
    from replearn_core.ssl.methods import METHODS

    cls = METHODS.get(method)
    return (cls.short_title or cls.title) if cls else method


def fraction_label(fraction: float) -> str:
    """0.01 → ``1 %``."""
    return f"{fraction * 100:g} %"


@dataclass(frozen=True)
class RunSpec:
    """One run a claim needs, before seeds and budgets are filled in.

    kind "ssl", "metric", "transfer" and "incremental" are ordinary runs of the run store; "baseline" (raw pixels and the
    untrained encoder) is computed in a few seconds when a table is measured and is no run.
    """

    key: str  # unique within a plan; claims that name the same key share the run
    kind: str  # "ssl", "metric", "transfer", "incremental" or "baseline"
    title: str  # how the run is named in the store and on the page
    config: dict = field(default_factory=dict)  # overrides of the kind's default config (no hyper-parameters)
    encoder: str | None = None  # transfer: the key of the ssl spec whose encoder it starts from


def ssl_run(method: str, **options) -> RunSpec:
    """A self-supervised run of a method with the engine's defaults (options: method-specific switches)."""
    suffix = "".join(f"-{k}={v}" for k, v in sorted(options.items()))
    title = method_name(method) + "".join(
        f" without {k.replace('_', '-')}" if v is False else f" {k}={v}" for k, v in sorted(options.items()))
    config = {"method": method, **({"options": dict(options)} if options else {})}
    from replearn_core.ssl.methods import METHODS

    if method in METHODS and METHODS[method].default_backbone != "cnn4":  # MAE's ViT: the lab's own choice
        config["backbone"] = METHODS[method].default_backbone
    return RunSpec(f"ssl/{method}{suffix}", "ssl", title, config)


def metric_run(variant: str) -> RunSpec:
    """A metric-learning run of one row of :data:`METRIC_VARIANTS` with the loss's declared defaults (a default
    run, not a time budget: each loss's default epochs are what the page and bench/metric.py run)."""
    method, options, name = METRIC_VARIANTS[variant]
    config = {"method": method, **({"options": dict(options)} if options else {})}
    return RunSpec(f"metric/{variant}", "metric", f"{name} (metric learning, default run)", config)


def transfer_run(encoder: RunSpec, strategies: list[str], fractions: list[float]) -> RunSpec:
    """A transfer comparison (the engine's default TransferConfig) starting from an ssl spec's encoder,
    on the encoder's own dataset with its labels."""
    key = f"transfer/{encoder.key}/{','.join(strategies)}@{','.join(f'{f:g}' for f in fractions)}"
    what = ", ".join(STRATEGY_NAMES.get(s, s) for s in strategies)
    title = f"{what} from {encoder.title} at {', '.join(fraction_label(f) for f in fractions)} of the labels"
    return RunSpec(key, "transfer", title, {"strategies": list(strategies), "fractions": list(fractions)},
                   encoder=encoder.key)


def incremental_run(scenario: str, strategies: list[str]) -> RunSpec:
    """An incremental-learning comparison with the engine's defaults (digits, five tasks of two classes), for
    one scenario and some strategies."""
    key = f"incremental/{scenario}/{','.join(strategies)}"
    title = f"{', '.join(strategies)}, {scenario}-incremental (incremental learning, default run)"
    return RunSpec(key, "incremental", title, {"scenario": scenario, "strategies": list(strategies)})


BASELINES = RunSpec("baseline/pixels-and-random-init", "baseline",
                    "raw pixels and the untrained encoder (computed, no run)")


@dataclass
class RunResult:
    """A finished (or failed) run of a plan: its store id, how it ended, its summary and what was measured
    around it (seconds per epoch, peak memory)."""

    key: str
    seed: int
    run_id: str | None
    status: str  # "finished", "failed", "cancelled"
    summary: dict = field(default_factory=dict)
    measured: dict = field(default_factory=dict)  # s_per_epoch, peak_mb, memory_kind, collapse_ref, wall_s
    error: str | None = None

    def value(self, name: str):
        """A number from what was measured around the run, else from its summary; None when absent."""
        if self.status != "finished":
            return None
        return self.measured.get(name, self.summary.get(name))

    def transfer_row(self, strategy: str, fraction: float) -> dict | None:
        if self.status != "finished":
            return None
        return next((r for r in self.summary.get("table", []) if r["strategy"] == strategy
                     and abs(r["fraction"] - fraction) < 1e-9), None)


class Results:
    """The results of a plan, by spec key: one :class:`RunResult` per seed, in seed order."""

    def __init__(self, results: list[RunResult]):
        self.by_key: dict[str, list[RunResult]] = {}
        for result in sorted(results, key=lambda r: r.seed):
            self.by_key.setdefault(result.key, []).append(result)

    def runs(self, key: str) -> list[RunResult]:
        return self.by_key.get(key, [])

    def values(self, key: str, name: str) -> list[float | None]:
        """One value per seed of a run's summary field or measured number (None where it failed)."""
        return [r.value(name) for r in self.runs(key)]

    def transfer(self, key: str, strategy: str, fraction: float, name: str = "accuracy") -> list[float | None]:
        """One value per seed of a transfer run's table cell (accuracy, train_time_s, n_labels)."""
        rows = [r.transfer_row(strategy, fraction) for r in self.runs(key)]
        return [None if row is None else row[name] for row in rows]

    def errors(self, keys: list[str]) -> list[str]:
        return [f"{r.key} (seed {r.seed}): {r.error or r.status}" for k in keys for r in self.runs(k)
                if r.status != "finished"]


@dataclass
class Measured:
    """A claim's numbers: per-seed values by quantity name, and facts for its explanation template."""

    quantities: dict[str, list[float | None]]
    facts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # the claim in English
    text_zh: str  # the claim in the article's words
    source: str  # which article, which table or section
    setting: str  # what is measured and how; may use {budget_s}, {dataset}, {seeds}, {ssl_seeds}
    runs: tuple[RunSpec, ...]
    measure: Callable[[Results], Measured]
    rule: Exceeds | AllOf
    why: dict[str, str]  # verdict → one sentence; may use {detail}, {budget_s}, {dataset} and the measured facts

    def texts(self) -> dict[str, str]:
        """Its English by catalogue key (``claim.<id>.source|setting|why.<verdict>``): declared here, translated
        in ``zh.json``."""
        key = f"claim.{self.id}"
        return {f"{key}.source": self.source, f"{key}.setting": self.setting,
                **{f"{key}.why.{verdict.replace(' ', '_')}": text for verdict, text in self.why.items()}}

    def rule_text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The verdict rule with its thresholds, in words, in ``lang``."""
        return translate("claims.rule.text", lang, parts=self.rule.describe(lang))
