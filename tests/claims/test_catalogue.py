"""The declared claims: their rules name numbers their measurements produce, their runs use the engine's
defaults, and a table built from known numbers gets the verdicts those numbers call for."""

from replearn_core.claims import CLAIMS, CLAIMS_BY_ID, choose_representation_learning, plan_runs
from replearn_core.claims.plan import BUDGET_EPOCHS, ENCODER_PLACEHOLDER, submit_claim_runs
from replearn_core.claims.verdicts import NOT_REPRODUCED, REPRODUCED, REVERSED, VERDICTS
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from replearn_core.transfer.config import TransferConfig


def test_the_issue_claims_are_all_declared():
    ids = set(CLAIMS_BY_ID)
    assert {"ssl_beats_random_and_pixels", "table31_pretraining_quality", "table31_finetuning_quality",
            "table31_compute_cost", "table32_data_efficiency", "transfer_best_on_small_data",
            "simsiam_stop_gradient", "choose_representation_learning"} <= ids
    for claim in CLAIMS:
        assert claim.text and claim.text_zh and claim.source and claim.setting
        assert set(claim.why) == {NOT_REPRODUCED, REVERSED}


def test_every_rule_quantity_is_measured(synthetic_results):
    """A rule naming a number its measure function does not produce would always say "not measured"."""
    results = synthetic_results
    for claim in CLAIMS:
        measured = claim.measure(results).quantities
        missing = set(claim.rule.quantities()) - set(measured)
        assert not missing, f"{claim.id}: the rule names {missing}, not measured"
        assert all(v is not None for q in claim.rule.quantities() for v in measured[q]), claim.id


def test_verdicts_of_known_numbers(synthetic_table):
    verdicts = {row["id"]: row["verdict"] for row in synthetic_table["rows"]}
    assert verdicts["ssl_beats_random_and_pixels"] == REPRODUCED  # 0.75 vs 0.40 and 0.30
    assert verdicts["table31_pretraining_quality"] == REPRODUCED
    assert verdicts["table31_finetuning_quality"] == NOT_REPRODUCED  # MoCo 0.81 vs SimCLR 0.80: within 0.02
    assert verdicts["table31_compute_cost"] == REVERSED  # MoCo cheapest, Barlow Twins dearest
    assert verdicts["simsiam_stop_gradient"] == REPRODUCED  # collapse meter 0.004 vs 0.05
    assert verdicts["transfer_best_on_small_data"] == REPRODUCED  # gains 0.35, 0.31, 0.05
    assert verdicts["choose_representation_learning"] == REPRODUCED
    assert verdicts["table32_scenarios"] == NOT_REPRODUCED  # full 0.85 vs layer-wise 0.84 at 100 %
    assert verdicts["table33_arcface_best_retrieval"] == REPRODUCED  # MAP@R 0.40 vs at most 0.35
    assert verdicts["incremental_forgetting"] == REPRODUCED  # sequential 0.20, replay 0.90, joint 0.98
    for row in synthetic_table["rows"]:
        assert row["verdict"] in VERDICTS
        assert (row["why"] is None) == (row["verdict"] == REPRODUCED), row["id"]
        if row["why"]:
            assert "{" not in row["why"] and row["why"].count(". ") == 0, row["why"]  # filled in, one sentence


def test_the_advice_function_is_the_articles():
    assert choose_representation_learning("computer_vision", 999) == "transfer_learning"
    assert choose_representation_learning("computer_vision", 1000) == "contrastive_learning"
    assert choose_representation_learning("nlp", 5000) == "self_supervised"


def test_plan_shares_runs_and_orders_encoders_first():
    plan = plan_runs(CLAIMS, budget_s=90, seeds=3)
    keys = [(r.key, r.seed) for r in plan]
    assert len(keys) == len(set(keys))  # each run once, however many claims use it
    simclr = [r for r in plan if r.key == "ssl/simclr"]
    assert len(simclr) == 1 and len(simclr[0].claims) >= 5  # one seed: an SSL run costs the whole budget
    first_transfer = next(i for i, r in enumerate(plan) if r.spec.kind == "transfer")
    assert all(r.spec.kind != "ssl" for r in plan[first_transfer:])
    assert len([r for r in plan if r.key == CLAIMS_BY_ID["table32_scenarios"].runs[1].key]) == 3  # cheap: 3 seeds
    assert len(plan_runs(CLAIMS, budget_s=5, seeds=3)) > len(plan)  # short SSL runs get every seed too


def test_runs_use_the_engine_defaults_but_budget_and_seed():
    defaults, transfer_defaults = TrainConfig(), TransferConfig()
    for run in plan_runs(CLAIMS, budget_s=90, seeds=2):
        if run.spec.kind == "ssl":
            assert run.config["time_budget_s"] == 90 and run.config["epochs"] == BUDGET_EPOCHS
            for name in ("lr", "temperature", "dataset", "weight_decay", "recipe"):
                assert run.config[name] == getattr(defaults, name), name
            assert run.config["backbone"] == METHODS[run.config["method"]].default_backbone  # the lab's choice
            method_defaults = TrainConfig(method=run.config["method"],
                                          backbone=run.config["backbone"]).validate(METHODS)
            assert run.config["batch_size"] == method_defaults.batch_size
        elif run.spec.kind == "transfer":
            assert run.config["encoder"] == ENCODER_PLACEHOLDER.format(key=run.encoder[0], seed=run.encoder[1])
            assert run.config["dataset"] == defaults.dataset  # the encoder's own images, with labels
            for name in ("lr", "epochs", "batch_size", "min_steps", "lr_decay"):
                assert run.config[name] == getattr(transfer_defaults, name), name


def test_arcface_claim_rule_on_synthetic_numbers():
    """ArcFace's MAP@R must lead every other loss's by max(0.02, 2 SE)."""
    from replearn_core.claims.verdicts import Stat

    rule = CLAIMS_BY_ID["table33_arcface_best_retrieval"].rule
    others = ["triplet (batch-hard)", "triplet (batch-all)", "contrastive (Siamese)", "SupCon"]
    assert set(rule.quantities()) == {"ArcFace MAP@R"} | {f"{o} MAP@R" for o in others}

    def judge(arcface, other, **special):
        stats = {f"{o} MAP@R": Stat.of(special.get(o, other)) for o in others}
        return rule.judge({"ArcFace MAP@R": Stat.of(arcface), **stats}).verdict

    assert judge([0.40, 0.41, 0.42], [0.30, 0.31, 0.32]) == REPRODUCED
    assert judge([0.40, 0.41, 0.42], [0.30, 0.31, 0.32], SupCon=[0.40, 0.40, 0.40]) == NOT_REPRODUCED  # one tie
    assert judge([0.40, 0.41, 0.42], [0.39, 0.40, 0.41]) == NOT_REPRODUCED  # 0.01 < 0.02
    assert judge([0.20, 0.35, 0.50], [0.25, 0.25, 0.25]) == NOT_REPRODUCED  # lead 0.10 < 2 SE ≈ 0.17
    assert judge([0.20, 0.21, 0.22], [0.30, 0.31, 0.32]) == REVERSED


def test_metric_runs_are_each_losses_default_run():
    from replearn_core.metric import METRIC_METHODS

    runs = [r for r in plan_runs([CLAIMS_BY_ID["table33_arcface_best_retrieval"]], budget_s=90, seeds=3)]
    assert {r.spec.kind for r in runs} == {"metric"} and len(runs) == 5 * 3
    for run in runs:
        declared = METRIC_METHODS[run.config["method"]]
        assert run.config["epochs"] == declared.epochs and run.config["lr"] == declared.lr
        assert run.config["time_budget_s"] is None and run.config["dataset"] == "shapes"


def test_submitting_a_claim_queues_encoders_before_their_transfers(store, monkeypatch):
    queued = []

    def fake_submit(kind, config, name=None, store=None, owner=None):  # record, start no worker process
        run_id = store.create_run(kind, config, name)
        queued.append((kind, config))
        return run_id

    monkeypatch.setattr("replearn_core.runs.worker.submit", fake_submit)
    out = submit_claim_runs(CLAIMS_BY_ID["table32_data_efficiency"], budget_s=30, seeds=2, store=store)
    assert [kind for kind, _ in queued] == ["ssl", "ssl", "transfer", "transfer"]
    ssl_ids = [run_id for (_, run_id), (kind, _) in zip(out, queued) if kind == "ssl"]
    assert [config["encoder"] for kind, config in queued if kind == "transfer"] == ssl_ids
    assert queued[0][1]["time_budget_s"] == 30
    assert {r.name for r in store.list_runs()} == {name for name, _ in out}


def test_forgetting_claim_needs_a_fall_and_replay_past_half_way():
    """Sequential must end 0.2 below joint, and replay clear the point half-way between them."""
    from replearn_core.claims.verdicts import Stat

    rule = CLAIMS_BY_ID["incremental_forgetting"].rule

    def judge(seq, replay, joint):
        stats = {"sequential average accuracy": Stat.of(seq), "replay average accuracy": Stat.of(replay),
                 "joint average accuracy": Stat.of(joint),
                 "half-way from sequential to joint": Stat.of([(s + j) / 2 for s, j in zip(seq, joint)])}
        return rule.judge(stats).verdict

    assert judge([0.20, 0.20, 0.20], [0.90, 0.91, 0.92], [0.98, 0.98, 0.98]) == REPRODUCED
    assert judge([0.20, 0.20, 0.20], [0.50, 0.51, 0.52], [0.98, 0.98, 0.98]) == NOT_REPRODUCED  # replay below half
    assert judge([0.90, 0.90, 0.90], [0.95, 0.95, 0.95], [0.98, 0.98, 0.98]) == NOT_REPRODUCED  # no forgetting


def test_the_forgetting_claims_runs_are_default_comparisons_of_three_strategies():
    from replearn_core.incremental import IncrementalConfig

    runs = plan_runs([CLAIMS_BY_ID["incremental_forgetting"]], budget_s=90, seeds=3)
    assert [r.seed for r in runs] == [0, 1, 2] and {r.spec.kind for r in runs} == {"incremental"}
    defaults = IncrementalConfig()
    for run in runs:
        assert run.config["strategies"] == ["sequential", "replay", "joint"] and run.config["scenario"] == "class"
        assert run.config["epochs"] == defaults.epochs and run.config["memory_per_class"] == 20
