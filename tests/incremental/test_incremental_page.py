from pathlib import Path

from PIL import Image
from streamlit.testing.v1 import AppTest

from replearn_core.incremental import IncrementalConfig
from replearn_core.runs import execute_run

ROOT = str(Path(__file__).resolve().parents[2])


def _page():
    return AppTest.from_file(ROOT + "/pages/11_incremental.py", default_timeout=120)


def test_page_shows_controls_the_scenarios_and_the_strategy_cards():
    at = _page().run()
    assert not at.exception
    assert {"Dataset"} <= {s.label for s in at.sidebar.selectbox}
    assert at.sidebar.radio[0].label == "Scenario" and at.sidebar.radio[0].value == "class"
    assert at.sidebar.multiselect[0].value == ["sequential", "joint", "replay", "lwf", "ewc"]
    assert any("Class-incremental:" in m.value and "Task-incremental:" in m.value for m in at.markdown)
    assert len(at.latex) == 5  # one card per chosen strategy, with its loss
    assert any("No comparison yet" in i.value for i in at.info)


def test_a_finished_comparison_shows_curves_forgetting_matrix_and_feature_map(store):
    config = IncrementalConfig(n_tasks=2, epochs=1, image_size=8, max_train_images=200, eval_images=100,
                               memory_per_class=5, strategies=["sequential", "replay", "joint"])
    run_id = store.create_run("incremental", config.to_dict())
    execute_run(store, run_id)
    at = _page().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 4  # average accuracy, forgetting, the matrix, the feature map
    assert any("Sequential training ends at an average accuracy of" in c.value for c in at.caption)
    assert len(at.dataframe) == 1
    matrix_of = next(r for r in at.radio if r.label == "Accuracy matrix of")
    matrix_of.set_value("replay").run()
    assert not at.exception and len(at.get("plotly_chart")) == 4


def test_a_memory_larger_than_the_data_is_refused_and_nothing_is_queued(store):
    at = _page().run()
    memory = next(s for s in at.sidebar.slider if s.label == "replay: images kept per class (M)")
    memory.set_value(400).run()
    next(b for b in at.button if b.label == "▶ Compare").click().run()
    assert not at.exception
    assert any("400 images per class is more than the training images" in e.value for e in at.error)
    assert store.list_runs(kind="incremental") == []


def test_a_folder_with_fewer_classes_than_tasks_is_refused(store, tmp_path):
    pets = tmp_path / "pets"
    for name in ("cat", "dog", "fox"):
        (pets / name).mkdir(parents=True)
        for i in range(5):
            Image.new("RGB", (8, 8), (i * 40, 10, 10)).save(pets / name / f"{i}.png")
    at = _page().run()
    dataset = next(s for s in at.sidebar.selectbox if s.label == "Dataset")
    dataset.set_value("folder:…").run()
    at.sidebar.text_input[0].set_value(str(pets)).run()
    next(b for b in at.button if b.label == "▶ Compare").click().run()
    assert not at.exception
    assert any("3 class(es), fewer than the 5 tasks" in e.value for e in at.error)
    assert store.list_runs(kind="incremental") == []
