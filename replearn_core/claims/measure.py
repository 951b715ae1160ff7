"""Measure claims: execute a plan's runs, then turn the finished runs into table rows with verdicts.

Runs are ordinary runs of a run store, executed by the same jobs as the app's (``execute_run``).
Self-supervised runs can each run in their own process (``isolate=True``, what ``bench/claims.py``
does) so that their peak memory can be read:

- on a CPU, the rise of the process's peak resident set size (``getrusage(...).ru_maxrss``) from just
  before the run (torch, the jobs and scikit-learn already imported) to its end. ``tracemalloc`` does
  not see torch's allocations, and a peak in a shared process only ever rises, so each run gets a fresh
  one. It includes the run's copy of the data, the same for every method on the same dataset;
- on CUDA, ``torch.cuda.max_memory_allocated`` over the run (tensors only, no allocator cache).

In-process runs (``isolate=False``, the tests) leave peak memory unmeasured: the row says so.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from replearn_core.claims.plan import (DEFAULT_BUDGET_S, DEFAULT_SEEDS, PlannedRun, default_ssl_seeds,
                                       plan_runs)
from replearn_core.claims.spec import Claim, Measured, Results, RunResult
from replearn_core.claims.verdicts import NOT_MEASURED, REPRODUCED, Stat, not_measured_text
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS

MEMORY_MARK = "CLAIMS_MEMORY "  # the line an isolated run prints its memory on
SCHEMA = 1


def baseline_scores(config: dict) -> dict:
    """kNN and linear probe of the raw pixels and of the untrained encoder, on a run's bank and held-out images.

    The untrained encoder is the one a self-supervised run with this config starts from (same
    architecture, same seed), so the comparison isolates what the training added.
    """
    from replearn_core.checkpoints import untrained_encoder
    from replearn_core.evaluation import knn_accuracy, linear_probe_accuracy
    from replearn_core.features import encode_images
    from replearn_core.ssl.job import prepare_data

    cfg = TrainConfig.from_dict(config).validate(METHODS)
    _, bank, evaluation = prepare_data(cfg)
    encoder = untrained_encoder(cfg.backbone, cfg.seed)
    scores = {}
    cpu = torch.device("cpu")
    for name, encode in [("pixels", lambda x: x.flatten(1)),  # (B, 3·H·W)
                         ("random", encoder)]:  # (B, feature_dim)
        fb = encode_images(encode, bank.images, cpu, cpu_bf16=False)
        fe = encode_images(encode, evaluation.images, cpu, cpu_bf16=False)
        scores[f"{name}_knn"] = knn_accuracy(fb, bank.labels, fe, evaluation.labels, k=cfg.knn_k)
        scores[f"{name}_probe"] = linear_probe_accuracy(fb, bank.labels, fe, evaluation.labels)
    return scores


def run_isolated(store: RunStore, run_id: str) -> dict:
    """Execute a queued run in a fresh Python process; returns what it measured (peak_mb, memory_kind)."""
    import os

    env = dict(os.environ, REPLEARN_DATA=str(store.root))
    code_root = Path(__file__).resolve().parents[2]  # where `import replearn_core` works, whatever the caller's cwd
    done = subprocess.run([sys.executable, "-c", "from replearn_core.claims.measure import isolated_main; "
                           "raise SystemExit(isolated_main())", run_id],
                          env=env, cwd=code_root, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MEMORY_MARK)]
    run = store.get_run(run_id)
    if run.status in ("queued", "running"):  # the process died before the job could record how it ended
        store.finish(run_id, "failed", error=f"the run's process exited with code {done.returncode}: "
                                             f"{done.stderr.strip()[-500:]}")
    return json.loads(lines[-1][len(MEMORY_MARK):]) if lines else {}


def _resident_mb() -> tuple[float, float] | None:
    """(current, peak) resident set size of this process in MB from /proc/self/status; None off Linux."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None


def _reset_peak_resident() -> bool:
    """Set the peak RSS back to the current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def isolated_main(argv: list[str] | None = None) -> int:
    """``python -c "…isolated_main()" RUN_ID``: run one queued run here and print its peak memory.

    The peak is taken from just before the run, with torch, the jobs and scikit-learn imported: on Linux the
    kernel's peak-RSS mark is reset to the current RSS there (importing torch alone touches several hundred MB
    of library pages for a moment); elsewhere the rise of ``ru_maxrss`` over its value then, which hides
    whatever the run does not push above the imports' peak.
    """
    import resource

    import sklearn.linear_model  # noqa: F401  the final linear probe's library, loaded before memory is read

    from replearn_core.device import pick_device
    from replearn_core.runs.jobs import execute_run
    import replearn_core.ssl.job  # noqa: F401
    import replearn_core.transfer.job  # noqa: F401

    run_id = (argv or sys.argv[1:])[0]
    store = open_store()
    device = pick_device(store.get_run(run_id).config.get("device"))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    resident = _resident_mb() if _reset_peak_resident() else None
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    try:
        execute_run(store, run_id, device=device)
    except Exception:  # noqa: BLE001 - recorded as failed in the store with its message
        pass
    if device.type == "cuda":
        measured = {"peak_mb": torch.cuda.max_memory_allocated(device) / 2 ** 20, "memory_kind": "CUDA peak allocated"}
    elif resident is not None:
        measured = {"peak_mb": _resident_mb()[1] - resident[0], "memory_kind": "peak RSS rise"}
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        measured = {"peak_mb": (peak_kb - before_kb) / 1024, "memory_kind": "peak RSS rise (ru_maxrss)"}
    print(MEMORY_MARK + json.dumps(measured), flush=True)
    return 0


def seconds_per_epoch(store: RunStore, run_id: str, config: dict) -> float | None:
    """Steady-state training seconds of one pass over the training images: the images of an epoch divided by
    the median of the logged images/s after the first 10 % of the steps (the first steps carry one-off kernel
    set-up; evaluations are not in the rate)."""
    from replearn_core.data import training_images

    steps, rates = store.metrics(run_id, ["images_per_s"]).get("images_per_s", ([], []))
    rates = [r for r in rates[len(rates) // 10:] if r > 0]
    if not rates:
        return None
    cfg = TrainConfig.from_dict(config).validate(METHODS)
    train = training_images(cfg.dataset, cfg.image_size, cfg.max_train_images, cfg.seed)
    batch = min(cfg.batch_size, len(train))
    return max(1, len(train) // batch) * batch / statistics.median(rates)


def execute_plan(plan: list[PlannedRun], store: RunStore, isolate: bool = True, on_event=None) -> list[RunResult]:
    """Execute every planned run in order; a failed run is recorded and the rest go on."""
    from replearn_core.runs.jobs import execute_run

    from replearn_core.ssl.job import prepare_data

    say = on_event or (lambda message: None)
    results: dict[tuple[str, int], RunResult] = {}
    for config in list({(r.config["dataset"], r.config["image_size"]): r.config for r in plan
                        if r.spec.kind == "ssl"}.values()):
        try:  # draw and cache built-in data now, not inside a measured run
            prepare_data(TrainConfig.from_dict(config))
        except Exception:  # noqa: BLE001 - the runs themselves fail with the message
            pass
    for i, run in enumerate(plan, 1):
        say(f"[{i}/{len(plan)}] {run.name}")
        started = time.perf_counter()
        if run.spec.kind == "baseline":
            try:
                summary = baseline_scores(run.config)
                result = RunResult(run.key, run.seed, None, "finished", summary)
            except Exception as exc:  # noqa: BLE001
                result = RunResult(run.key, run.seed, None, "failed", error=f"{type(exc).__name__}: {exc}")
            result.measured["wall_s"] = round(time.perf_counter() - started, 1)
            results[(run.key, run.seed)] = result
            continue
        config = dict(run.config)
        if run.encoder is not None:
            source = results.get(run.encoder)
            if source is None or source.status != "finished":
                results[(run.key, run.seed)] = RunResult(run.key, run.seed, None, "failed",
                                                         error=f"its encoder run {run.encoder[0]} (seed "
                                                               f"{run.encoder[1]}) did not finish")
                continue
            config["encoder"] = source.run_id
        run_id = store.create_run(run.spec.kind, config, name=run.name)
        measured = {}
        if isolate and run.spec.kind == "ssl":
            measured = run_isolated(store, run_id)
        else:
            try:
                execute_run(store, run_id)
            except Exception:  # noqa: BLE001 - recorded as failed in the store
                pass
        stored = store.get_run(run_id)
        result = RunResult(run.key, run.seed, run_id, stored.status, stored.summary or {}, measured, stored.error)
        if run.spec.kind == "ssl" and stored.status == "finished":
            result.measured["s_per_epoch"] = seconds_per_epoch(store, run_id, config)
            result.measured["collapse_ref"] = store.last_metric(run_id, "collapse_ref")
        result.measured["wall_s"] = round(time.perf_counter() - started, 1)
        results[(run.key, run.seed)] = result
        say(f"    {stored.status} in {result.measured['wall_s']:.0f} s" + (f": {stored.error}" if stored.error else ""))
    return list(results.values())


class _Blank(dict):
    def __missing__(self, key):  # an explanation template names a fact this measurement lacks
        return "?"


def claim_row(claim: Claim, results: Results, context: dict) -> dict:
    """One row of the table: the claim, its numbers (mean ± std over seeds), the verdict and, when it is not
    reproduced, one sentence saying why."""
    try:
        measured = claim.measure(results)
    except Exception as exc:  # noqa: BLE001 - a measurement bug must not hide the row
        measured = Measured({}, {"error": f"{type(exc).__name__}: {exc}"})
    stats = {name: Stat.of(values) for name, values in measured.quantities.items()}
    outcome = claim.rule.judge(stats)
    keys = list(dict.fromkeys(spec.key for spec in claim.runs))
    errors = results.errors(keys) + ([measured.facts["error"]] if "error" in measured.facts else [])
    why = None
    if outcome.verdict == NOT_MEASURED:
        why = not_measured_text(outcome.detail(stats), errors)
    elif outcome.verdict != REPRODUCED:
        why = claim.why[outcome.verdict].format_map(_Blank(context, detail=outcome.detail(stats), **measured.facts))
    return {"id": claim.id, "claim": claim.text, "claim_zh": claim.text_zh, "source": claim.source,
            "setting": claim.setting.format_map(_Blank(context)),
            "numbers": {name: stat.to_dict() for name, stat in stats.items()},
            "verdict": outcome.verdict, "why": why, "rule": claim.rule_text(),
            "comparisons": [c.to_dict() for c in outcome.comparisons],
            "runs": [r.run_id for k in keys for r in results.runs(k) if r.run_id], "errors": errors,
            "facts": {k: v for k, v in measured.facts.items() if k != "error"}}


def measure_claims(claims: list[Claim], store: RunStore, budget_s: float = DEFAULT_BUDGET_S,
                   seeds: int = DEFAULT_SEEDS, ssl_seeds: int | None = None, overrides: dict | None = None,
                   isolate: bool = True, on_event=None) -> dict:
    """Run what the claims need and return the table: date, device, budget, seeds and one row per claim."""
    from replearn_core.device import describe, pick_device

    ssl_seeds = ssl_seeds or default_ssl_seeds(budget_s, seeds)
    started = time.perf_counter()
    plan = plan_runs(claims, budget_s, seeds, ssl_seeds, overrides)
    results = Results(execute_plan(plan, store, isolate, on_event))
    dataset = TrainConfig(**(overrides or {}).get("ssl", {})).dataset
    context = {"budget_s": budget_s, "dataset": dataset, "seeds": seeds, "ssl_seeds": ssl_seeds}
    return {"schema": SCHEMA, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "device": describe(pick_device()), "budget_s": budget_s, "seeds": seeds, "ssl_seeds": ssl_seeds,
            "dataset": dataset, "overrides": overrides or {}, "total_s": round(time.perf_counter() - started, 1),
            "rows": [claim_row(claim, results, context) for claim in claims]}
