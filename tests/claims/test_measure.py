"""Measuring claims for real, on tiny budgets: ordinary runs in the store, rows with verdicts, memory read."""

from replearn_core.claims import CLAIMS_BY_ID, plan_runs
from replearn_core.claims.measure import baseline_scores, execute_plan, measure_claims
from replearn_core.claims.verdicts import VERDICTS
from replearn_core.ssl.config import TrainConfig

TINY = {"ssl": {"max_train_images": 128, "eval_images": 64, "knn_bank_images": 128},
        "transfer": {"max_train_images": 200, "eval_images": 64, "epochs": 1, "min_steps": 2}}


def test_tiny_measurement_gives_rows_with_verdicts(store):
    claims = [CLAIMS_BY_ID[c] for c in ("simsiam_stop_gradient", "ssl_beats_random_and_pixels",
                                         "transfer_best_on_small_data")]
    table = measure_claims(claims, store, budget_s=1.0, seeds=1, overrides=TINY, isolate=False)
    assert [row["id"] for row in table["rows"]] == [c.id for c in claims]
    assert table["budget_s"] == 1.0 and table["device"].startswith("cpu") and table["date"]
    for row in table["rows"]:
        assert row["verdict"] in VERDICTS and row["verdict"] != "not measured", row
        assert row["numbers"] and all(n["n"] == 1 for n in row["numbers"].values())
        assert row["runs"] and not row["errors"]
    runs = store.list_runs()
    assert {r.kind for r in runs} == {"ssl", "transfer"} and all(r.status == "finished" for r in runs)
    assert len([r for r in runs if r.kind == "ssl"]) == 3  # SimCLR shared by two claims runs once
    transfer = next(r for r in runs if r.kind == "transfer")
    simclr = next(r for r in runs if r.kind == "ssl" and r.config["method"] == "simclr")
    assert transfer.config["encoder"] == simclr.id


def test_a_failed_encoder_leaves_its_rows_not_measured_with_the_reason(store):
    broken = {**TINY, "ssl": {**TINY["ssl"], "dataset": "folder:/nonexistent"}}
    table = measure_claims([CLAIMS_BY_ID["table32_compute_cost"]], store, budget_s=1.0, seeds=1,
                           overrides=broken, isolate=False)
    row = table["rows"][0]
    assert row["verdict"] == "not measured"
    assert "did not finish" in row["why"] or "folder" in row["why"]


def test_an_isolated_run_reports_its_peak_memory_and_seconds_per_epoch(store):
    plan = plan_runs([CLAIMS_BY_ID["simsiam_stop_gradient"]], budget_s=1.0, seeds=1, overrides=TINY)[:1]
    (result,) = execute_plan(plan, store, isolate=True)
    assert result.status == "finished", result.error
    assert result.measured["memory_kind"] == "peak RSS rise" and result.measured["peak_mb"] > 0
    assert result.measured["s_per_epoch"] > 0 and 0 < result.measured["collapse_ref"] < 1


def test_baselines_score_raw_pixels_and_the_untrained_encoder():
    config = TrainConfig(**TINY["ssl"], epochs=1).to_dict()
    scores = baseline_scores(config)
    assert set(scores) == {"pixels_knn", "pixels_probe", "random_knn", "random_probe"}
    assert all(0 <= v <= 1 for v in scores.values())
    assert baseline_scores(config) == scores  # seeded: the same numbers twice


def test_seconds_per_epoch_counts_the_training_images_without_loading_the_held_out_ones(store, monkeypatch):
    import replearn_core.data as data
    from replearn_core.claims.measure import seconds_per_epoch

    config = TrainConfig(dataset="digits", max_train_images=300, batch_size=128, image_size=16).to_dict()
    run_id = store.create_run("ssl", config)
    store.log_metrics(run_id, [(1, "images_per_s", 1.0)] + [(step, "images_per_s", 128.0) for step in range(2, 12)])

    def refuse(*args, **kwargs):
        raise AssertionError("the held-out images are not needed to count an epoch")

    monkeypatch.setattr(data, "held_out_images", refuse)
    assert seconds_per_epoch(store, run_id, config) == 2 * 128 / 128.0  # two full batches of 300 images
