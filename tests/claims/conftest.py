import pytest

from replearn_core.claims import CLAIMS, Results, RunResult, plan_runs
from tests.threads import one_thread  # noqa: F401  (autouse: one torch thread)

# made-up numbers in the shape finished runs report them: the rows they give are known in advance
SSL_NUMBERS = {  # method key: (kNN, linear probe, collapse meter, s per epoch, peak MB)
    "ssl/simclr": (0.70, 0.75, 0.05, 4.0, 400),
    "ssl/moco": (0.72, 0.76, 0.05, 3.0, 300),
    "ssl/barlow_twins": (0.60, 0.65, 0.05, 4.5, 450),
    "ssl/byol": (0.66, 0.70, 0.05, 4.5, 410),
    "ssl/simsiam": (0.64, 0.69, 0.05, 4.2, 405),
    "ssl/simsiam-stop_gradient=False": (0.20, 0.22, 0.004, 4.2, 405),
    "ssl/mae": (0.35, 0.45, 0.04, 9.0, 500),  # beside table 3.1: in no rule
    "ssl/vae": (0.40, 0.50, 0.03, 3.0, 350),
    "ssl/jigsaw": (0.55, 0.66, 0.03, 2.5, 330),
}
FINE_TUNED = {"simclr": 0.80, "moco": 0.81, "barlow_twins": 0.70, "byol": 0.78, "simsiam": 0.77, "mae": 0.79,
              "vae": 0.60, "jigsaw": 0.72}
STRATEGY_ACCURACY = {  # (strategy, fraction): accuracy
    ("linear", 0.01): 0.50, ("full", 0.01): 0.40, ("llrd", 0.01): 0.45, ("scratch", 0.01): 0.15,
    ("linear", 0.1): 0.60, ("full", 0.1): 0.62, ("llrd", 0.1): 0.66, ("scratch", 0.1): 0.35,
    ("linear", 1.0): 0.65, ("full", 1.0): 0.85, ("llrd", 1.0): 0.84, ("scratch", 1.0): 0.80,
}
METRIC_MAP = {  # metric-learning row key: (MAP@R, P@1)
    "metric/triplet-batch_hard": (0.30, 0.70), "metric/triplet-batch_all": (0.33, 0.72),
    "metric/contrastive": (0.28, 0.66), "metric/arcface": (0.40, 0.78), "metric/supcon": (0.35, 0.75),
}
TRAIN_SECONDS = {"linear": 1.0, "full": 12.0, "llrd": 12.2, "scratch": 11.5}


def synthetic_results(seeds: int = 3) -> Results:
    """A finished run for every run the claims plan, with the numbers above plus a little seed noise."""
    results = []
    for run in plan_runs(CLAIMS, budget_s=90, seeds=seeds, ssl_seeds=1):
        noise = 0.002 * run.seed
        if run.spec.kind == "ssl":
            knn, probe, collapse, s_epoch, peak = SSL_NUMBERS[run.key]
            results.append(RunResult(run.key, run.seed, f"ssl-{run.key}-{run.seed}", "finished",
                                     {"knn_acc": knn, "linear_probe_acc": probe, "collapse_std": collapse},
                                     {"s_per_epoch": s_epoch, "peak_mb": peak, "memory_kind": "peak RSS rise",
                                      "collapse_ref": 0.0625}))
        elif run.spec.kind == "metric":
            map_at_r, p_at_1 = METRIC_MAP[run.key]
            results.append(RunResult(run.key, run.seed, f"{run.key}-{run.seed}", "finished",
                                     {"map_at_r": map_at_r + noise, "precision_at_1": p_at_1 + noise,
                                      "map_at_r_init": 0.02}))
        elif run.spec.kind == "incremental":
            accuracy = {"sequential": 0.20, "replay": 0.90 + noise, "joint": 0.98}  # split-MNIST-like numbers
            results.append(RunResult(run.key, run.seed, f"{run.key}-{run.seed}", "finished",
                                     {**{f"acc_class_{k}": v for k, v in accuracy.items()},
                                      "results": {"class": {"sequential": {"mean_forgetting": 0.99}}}}))
        elif run.spec.kind == "baseline":
            results.append(RunResult(run.key, run.seed, None, "finished",
                                     {"pixels_knn": 0.24, "pixels_probe": 0.30, "random_knn": 0.30 + noise,
                                      "random_probe": 0.40 + noise}))
        else:
            method = run.encoder[0].split("/", 1)[1]
            table = []
            for strategy in run.config["strategies"]:
                for fraction in run.config["fractions"]:
                    accuracy = FINE_TUNED[method] if len(run.config["strategies"]) == 1 else \
                        STRATEGY_ACCURACY[strategy, fraction]
                    table.append({"strategy": strategy, "fraction": fraction, "n_labels": int(5000 * fraction),
                                  "accuracy": accuracy + noise, "train_time_s": TRAIN_SECONDS[strategy] * fraction})
            results.append(RunResult(run.key, run.seed, f"transfer-{run.seed}", "finished", {"table": table}))
    return Results(results)


@pytest.fixture(name="synthetic_results")
def synthetic_results_fixture():
    return synthetic_results()


@pytest.fixture
def synthetic_table():
    from replearn_core.claims.measure import claim_row

    results = synthetic_results()
    context = {"budget_s": 90.0, "dataset": "shapes", "seeds": 3, "ssl_seeds": 1}
    return {"schema": 1, "date": "2026-11-25T10:00:00+00:00", "device": "cpu (2 threads)", "budget_s": 90.0,
            "seeds": 3, "ssl_seeds": 1, "dataset": "shapes", "overrides": {}, "total_s": 1000.0,
            "rows": [claim_row(claim, results, context) for claim in CLAIMS]}


@pytest.fixture(autouse=True)
def no_shipped_table(tmp_path, monkeypatch):
    """No test sees the table shipped in assets/ (one may be published later)."""
    monkeypatch.setattr("replearn_core.claims.table.SHIPPED_TABLE", tmp_path / "shipped" / "latest.json")

