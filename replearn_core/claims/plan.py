"""From claims to concrete runs: seeds and the time budget filled in, shared runs listed once.

Claims that need the same run (table 3.1's SimCLR run is also the third article's and table 3.2's
encoder) name the same :class:`~replearn_core.claims.spec.RunSpec` key, so a plan runs it once.
Self-supervised runs get ``time_budget_s`` (equal wall time for every method) and so many epochs that
the budget, not the epoch count, ends them; everything else is the engine's default configuration.

Seeds: rows that cost under a minute a seed are repeated (``seeds``, default 3): the transfer runs
(seed = label subsets and heads) and the baselines; so are the metric-learning runs (each loss's default
run, about a minute), whose claim compares losses whose seed-to-seed spread matters. Self-supervised runs take the whole budget each,
so they get ``ssl_seeds`` (default 1 when the budget is a minute or more, else ``seeds``). Transfer
seed i starts from the encoder of self-supervised seed i mod ``ssl_seeds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from replearn_core.claims.spec import Claim, RunSpec
from replearn_core.runs.reference import open_store
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.strategies import STRATEGIES

BUDGET_EPOCHS = 100_000  # so many that the time budget ends every self-supervised run
DEFAULT_BUDGET_S = 90.0  # a default run learns within about 90 s on 2 CPU cores
DEFAULT_SEEDS = 3
ENCODER_PLACEHOLDER = "@{key}#{seed}"  # a transfer config's encoder until its ssl run has an id


@dataclass
class PlannedRun:
    """One concrete run: a spec with its seed and its full configuration."""

    spec: RunSpec
    seed: int
    config: dict  # the full TrainConfig / TransferConfig dict (a transfer's encoder still a placeholder)
    encoder: tuple[str, int] | None = None  # transfer: (ssl spec key, seed) it starts from
    claims: list[str] = field(default_factory=list)  # ids of the claims that use it

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def name(self) -> str:
        return f"claims · {self.spec.title} · seed {self.seed}"


def default_ssl_seeds(budget_s: float, seeds: int) -> int:
    """One seed for runs of a minute or more, else as many as the cheap rows get."""
    return 1 if budget_s >= 60 else seeds


def plan_runs(claims: list[Claim], budget_s: float = DEFAULT_BUDGET_S, seeds: int = DEFAULT_SEEDS,
              ssl_seeds: int | None = None, overrides: dict | None = None) -> list[PlannedRun]:
    """The runs the claims need, each once, self-supervised runs first (transfers start from them).

    overrides: {"ssl": {TrainConfig field: value}, "transfer": {TransferConfig field: value}} for smoke runs
    and tests (e.g. ``max_train_images``); a published table uses none.
    """
    if budget_s <= 0:
        raise ValueError("the time budget must be positive")
    if seeds < 1:
        raise ValueError("at least one seed is needed")
    ssl_seeds = ssl_seeds or default_ssl_seeds(budget_s, seeds)
    overrides = overrides or {}
    specs: dict[str, RunSpec] = {}
    users: dict[str, list[str]] = {}
    for claim in claims:
        for spec in claim.runs:
            specs.setdefault(spec.key, spec)
            users.setdefault(spec.key, []).append(claim.id)
    order = {"ssl": 0, "metric": 1, "incremental": 2, "baseline": 3, "transfer": 4}
    planned = []
    for spec in sorted(specs.values(), key=lambda s: order[s.kind]):
        for seed in range(ssl_seeds if spec.kind == "ssl" else seeds):
            encoder = None
            if spec.kind == "transfer":
                encoder = (spec.encoder, seed % ssl_seeds)
            config = run_config(spec, seed, budget_s, overrides, specs, encoder[1] if encoder else 0)
            planned.append(PlannedRun(spec, seed, config, encoder, list(dict.fromkeys(users[spec.key]))))
    return planned


def run_config(spec: RunSpec, seed: int, budget_s: float, overrides: dict, specs: dict[str, RunSpec],
               encoder_seed: int = 0) -> dict:
    """A spec's full configuration for one seed: the engine's defaults, the spec's choices, budget and seed."""
    if spec.kind in ("ssl", "baseline"):
        config = TrainConfig(**{**spec.config, **overrides.get("ssl", {}), "seed": seed,
                                "time_budget_s": budget_s, "epochs": BUDGET_EPOCHS})
        return config.validate(METHODS).to_dict()
    if spec.kind == "metric":  # a default run of the loss: its declared epochs, batch, lr and options, no budget
        from replearn_core.metric import METRIC_METHODS
        from replearn_core.metric.config import MetricConfig

        config = MetricConfig(**{**spec.config, **overrides.get("metric", {}), "seed": seed})
        return config.validate(METRIC_METHODS).to_dict()
    if spec.kind == "incremental":  # a default comparison: the engine's epochs, memory and split
        from replearn_core.incremental.config import IncrementalConfig
        from replearn_core.incremental.strategies import STRATEGIES as INCREMENTAL_STRATEGIES

        config = IncrementalConfig(**{**spec.config, **overrides.get("incremental", {}), "seed": seed})
        return config.validate(INCREMENTAL_STRATEGIES).to_dict()
    if spec.kind == "transfer":
        source = TrainConfig(**{**specs[spec.encoder].config, **overrides.get("ssl", {})})
        config = TransferConfig(**{"dataset": source.dataset, "eval_dataset": source.eval_dataset, **spec.config,
                                   **overrides.get("transfer", {}), "seed": seed,
                                   "encoder": ENCODER_PLACEHOLDER.format(key=spec.encoder, seed=encoder_seed)})
        return config.validate(STRATEGIES).to_dict()
    raise ValueError(f"unknown run kind {spec.kind!r}")


def estimate_seconds(plan: list[PlannedRun]) -> float:
    """A rough duration of a plan on 2 CPU cores: each ssl run its budget plus ~20 s (start, data, the untrained
    score, the final probe); a transfer row ~5 s per strategy and fraction, ~15 s at 100 % of the labels for a
    strategy that trains the encoder; the baselines ~40 s (a logistic regression on raw pixels); a default
    metric-learning run ~90 s; an incremental comparison ~30 s per strategy."""
    total = 0.0
    for run in plan:
        if run.spec.kind == "ssl":
            total += run.config["time_budget_s"] + 20
        elif run.spec.kind == "metric":
            total += 90
        elif run.spec.kind == "incremental":
            total += 30 * len(run.config["strategies"])
        elif run.spec.kind == "baseline":
            total += 40
        else:
            for fraction in run.config["fractions"]:
                for strategy in run.config["strategies"]:
                    total += 15 if fraction >= 0.5 and strategy != "linear" else 5
    return total


def submit_claim_runs(claim: Claim, budget_s: float = DEFAULT_BUDGET_S, seeds: int = 1,
                      ssl_seeds: int | None = None, store=None, user=None) -> list[tuple[str, str]]:
    """Queue a claim's runs as ordinary runs for the worker; returns [(run name, run id)] in queue order.

    Transfer runs name their encoder run by id. The worker starts queued runs in the order they were
    queued, one at a time per device (REPLEARN_CONCURRENCY=1, the default), so every encoder has
    finished before a transfer from it starts. The baselines are no run: they are computed when a
    table is measured.

    The runs are the user's (default: the local user); in classroom mode all of them must fit the class
    limits, or none is queued.
    """
    from replearn_core.runs.access import LOCAL, check_submit, submit_as

    user = user or LOCAL
    store = store or open_store()
    planned = [run for run in plan_runs([claim], budget_s, seeds, ssl_seeds) if run.spec.kind != "baseline"]
    for run in planned:
        check_submit(store, user, run.config, count=len(planned))
    submitted: dict[tuple[str, int], str] = {}
    out = []
    for run in planned:
        config = dict(run.config)
        if run.encoder is not None:
            config["encoder"] = submitted[run.encoder]
        run_id = submit_as(user, run.spec.kind, config, name=run.name, store=store)
        submitted[(run.key, run.seed)] = run_id
        out.append((run.name, run_id))
    return out
