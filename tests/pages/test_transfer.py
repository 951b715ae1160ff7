
import torch

from replearn_core.backbones import build_backbone
from replearn_core.runs.context import RunContext
from replearn_core.runs.jobs import execute_run
from replearn_core.runs.store import RunStore
from replearn_core.transfer.config import TransferConfig
from tests.pages.conftest import cancel_and_wait, page, worker_takes_and_cancel

PAGE = "pages/4_transfer.py"



def _select(at, label):
    return next(w for w in list(at.sidebar.selectbox) + list(at.sidebar.multiselect) if w.label == label)


def test_page_renders_controls_with_help_and_strategy_explanations():
    at = page(PAGE).run()
    assert not at.exception
    assert {"Start from", "Architecture", "Target dataset"} <= {s.label for s in at.sidebar.selectbox}
    assert all(w.help for w in list(at.sidebar.selectbox) + list(at.sidebar.multiselect) + list(at.sidebar.slider))
    assert _select(at, "Strategies").value == ["linear", "full", "llrd"]
    assert [e.label for e in at.expander][:3] == ["Feature extraction (frozen encoder + linear head)",
                                                  "Full fine-tuning", "Layer-wise learning-rate decay"]
    assert any("No comparison yet" in i.value for i in at.info)


def test_compare_queues_one_transfer_job_with_the_chosen_settings(data_dir):
    at = page(PAGE).run()
    _select(at, "Strategies").set_value(["linear", "scratch"])
    _select(at, "Label fractions").set_value([0.05])
    next(s for s in at.sidebar.slider if s.label == "Epochs").set_value(1)
    next(b for b in at.button if b.label == "▶ Compare").click().run()
    assert not at.exception
    store = RunStore(data_dir)
    runs = store.list_runs(kind="transfer")
    assert len(runs) == 1
    cfg = runs[0].config
    assert cfg["strategies"] == ["linear", "scratch"] and cfg["fractions"] == [0.05] and cfg["epochs"] == 1
    worker_takes_and_cancel(store, runs[0].id)  # a worker picks it up without the page doing anything


def test_a_finished_comparison_shows_table_charts_recommendation_and_csv(data_dir):
    store = RunStore(data_dir)
    config = TransferConfig(strategies=["linear", "full"], fractions=[0.1, 1.0], epochs=1, min_steps=2,
                            image_size=16, max_train_images=100, eval_images=30)
    run_id = store.create_run("transfer", config.to_dict())
    execute_run(store, run_id)
    at = page(PAGE).run()
    assert not at.exception
    assert at.dataframe and len(at.dataframe[0].value) == 4
    assert any("won with" in m.value for m in at.markdown)
    assert any(s.label == "Show comparison" for s in at.selectbox)
    assert len(at.get("plotly_chart")) == 4  # accuracy and loss curves, label efficiency, cost
    at = page(PAGE)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert any("胜出" in m.value for m in at.markdown)  # the recommendation in the page's language
    assert not any("won with" in m.value or "Claim" in m.value for m in at.markdown)


def test_an_uploaded_checkpoint_that_does_not_fit_is_explained(data_dir, tmp_path):
    store = RunStore(data_dir)
    run_id = store.create_run("supervised", {"dataset": "shapes", "backbone": "small_cnn"})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    from replearn_core.checkpoints import encoder_tensors
    ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), meta={"backbone": "small_cnn"})
    ctx.close()
    store.finish(run_id, "finished")
    at = page(PAGE).run()
    start = _select(at, "Start from")
    assert run_id in start.options[0]  # the finished run is offered first
    from replearn_core.transfer.lab import check_encoder, save_upload
    path = tmp_path / "bad.pt"
    torch.save({"conv.weight": torch.zeros(2)}, path)
    saved = save_upload("bad.pt", path.read_bytes())
    try:
        check_encoder(f"file:{saved}", "small_cnn")
    except ValueError as exc:
        assert "Missing keys" in str(exc) and "Unexpected keys: conv.weight" in str(exc)
    else:
        raise AssertionError("a mismatching checkpoint must be refused")


def test_only_the_chosen_strategies_settings_are_shown_and_they_reach_the_run(data_dir):
    at = page(PAGE).run()
    labels = {s.label for s in at.sidebar.slider}
    assert "llrd: decay γ" in labels and "partial: frozen stages k" not in labels  # llrd is a default, partial not
    _select(at, "Strategies").set_value(["partial"])
    at.run()
    assert "partial: frozen stages k" in {s.label for s in at.sidebar.slider}
    next(s for s in at.sidebar.slider if s.label == "partial: frozen stages k").set_value(3)
    next(b for b in at.button if b.label == "▶ Compare").click().run()
    assert not at.exception
    store = RunStore(data_dir)
    run = store.list_runs(kind="transfer")[0]
    assert run.config["strategies"] == ["partial"] and run.config["freeze_stages"] == 3
    cancel_and_wait(store, [run])  # let the worker stop before the test's data folder goes away


def test_a_new_strategy_with_a_setting_appears_on_the_page_without_editing_it(monkeypatch):
    """Adding a strategy is its file and one registry entry: the page lists it, explains it and draws the
    control of the setting it declares."""
    from replearn_core.options import setting
    from replearn_core.transfer import STRATEGIES
    from replearn_core.transfer.strategies import Strategy

    class HeadFirst(Strategy):
        """**Head first.** A toy: the head alone for the first steps, then everything."""
        key = "head_first"
        title = "Head first (toy)"
        options = (setting(TransferConfig, "probe_fraction", "head-first share", "Steps with the head alone.",
                           low=0.1, high=0.9, step=0.1),)

    monkeypatch.setitem(STRATEGIES, "head_first", HeadFirst())
    at = page(PAGE)
    at.query_params["strategies"] = "head_first"
    at.run()
    assert not at.exception
    assert _select(at, "Strategies").value == ["head_first"]
    assert "head-first share" in {s.label for s in at.sidebar.slider}
    assert any(e.label == "Head first (toy)" for e in at.expander)
