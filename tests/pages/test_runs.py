from replearn_core.runs.store import RunStore
from tests.pages.conftest import page

PAGE = "pages/2_runs.py"


def test_empty_store_says_how_to_start():
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)


def test_lists_runs_with_their_status(data_dir):
    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "byol", "dataset": "shapes"})
    store.log_metrics(run_id, [(0, "knn_acc", 0.2), (10, "knn_acc", 0.5)])
    store.finish(run_id, "failed", error="worker process was killed by SIGKILL")
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["id"]) == [run_id]
    assert frame["status"][0] == "failed"
    assert abs(frame["best_knn_acc"][0] - 0.5) < 1e-9


def test_home_page_renders():
    at = page("home.py", timeout=60).run()
    assert not at.exception
    assert "replearn" in at.title[0].value


def _reference_assets(folder):
    """Export two tiny finished ssl runs (random small_cnn weights) as reference runs into ``folder``."""
    import torch

    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext
    from replearn_core.runs.reference import export_reference_run

    scratch = RunStore(folder.parent / "scratch")
    for method in ("simclr", "byol"):
        run_id = scratch.create_run("ssl", {"method": method, "dataset": "shapes", "backbone": "small_cnn"})
        scratch.mark_running(run_id, "cpu")
        ctx = RunContext(scratch, run_id, torch.device("cpu"))
        ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=10,
                         meta={"backbone": "small_cnn"})
        ctx.log(10, knn_acc=0.7)
        ctx.close()
        scratch.finish(run_id, "finished", summary={"epochs_done": 100, "train_time_s": 1800.0, "knn_acc": 0.7})
        export_reference_run(scratch, run_id, folder)
    scratch.close()
    return folder


def test_reference_runs_are_listed_marked_and_a_damaged_one_is_reported(data_dir, tmp_path, monkeypatch):
    assets = _reference_assets(tmp_path / "reference_runs")
    (assets / "byol" / "encoder.safetensors").write_bytes(b"damaged")
    monkeypatch.setenv("REPLEARN_REFERENCE_RUNS", str(assets))
    mine = RunStore(data_dir).create_run("ssl", {"method": "simclr", "dataset": "shapes"})
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame["id"]) == [mine, "ref-simclr"]
    assert list(frame["reference"]) == ["", "reference"]
    assert abs(frame["best_knn_acc"][1] - 0.7) < 1e-9
    warnings = [w.value for w in at.warning]
    assert any("reference run byol" in w and "encoder.safetensors" in w for w in warnings)


def test_reference_runs_are_offered_marked_as_transfer_encoders(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("REPLEARN_REFERENCE_RUNS", str(_reference_assets(tmp_path / "reference_runs")))
    at = page("pages/4_transfer.py").run()
    assert not at.exception
    start_from = next(s for s in at.sidebar.selectbox if s.label == "Start from")
    assert sum("📌 reference · 100 epochs · 30 min" in o for o in start_from.options) == 2


def test_a_run_with_warnings_is_marked_in_the_table(data_dir):
    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes"})
    store.add_warning(run_id, "The representation collapsed")
    store.finish(run_id, "finished")
    at = page(PAGE, timeout=60).run()
    assert not at.exception
    assert at.dataframe[0].value["warnings"][0] == "⚠️ 1"
