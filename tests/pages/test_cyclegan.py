import io

from PIL import Image

from replearn_core.runs.store import RunStore
from tests.pages.conftest import page, worker_takes_and_cancel

PAGE = "pages/5_cyclegan.py"



def test_walk_shows_the_bundled_model_at_once():
    at = page(PAGE).run()
    assert not at.exception
    assert any("trained on" in i.value for i in at.info)  # what the bundled model learned from, and how long
    slider = at.select_slider[0]
    assert slider.label == "Training history" and slider.value != "step 0 (untrained)"
    assert any("apple → orange → apple" in m.value for m in at.markdown)
    slider.set_value("step 0 (untrained)").run()
    assert not at.exception


def test_uploading_a_non_image_gives_a_message():
    at = page(PAGE).run()
    at.get("file_uploader")[0].set_value(("notes.txt", b"hello", "text/plain")).run()
    assert not at.exception
    assert any("is not an image" in e.value for e in at.error)
    buffer = io.BytesIO()
    Image.new("RGB", (500, 300), (220, 30, 30)).save(buffer, format="JPEG")
    at.get("file_uploader")[0].set_value(("apple.jpg", buffer.getvalue(), "image/jpeg")).run()
    assert not at.exception and not at.error


def test_bad_folder_gets_a_message_not_a_crash(tmp_path):
    at = page(PAGE).run()
    data = next(s for s in at.selectbox if s.label == "Data")
    data.set_value("folder:…").run()
    (tmp_path / "trainA").mkdir()
    at.text_input[0].set_value(str(tmp_path)).run()
    next(b for b in at.button if "Train" in b.label).click().run()
    assert not at.exception
    assert any("no trainB/ folder" in e.value for e in at.error)


def test_train_button_queues_a_run_that_a_worker_executes(data_dir):
    at = page(PAGE).run()
    next(b for b in at.button if "Train" in b.label).click().run()
    assert not at.exception
    store = RunStore(data_dir)
    runs = store.list_runs(kind="cyclegan")
    assert len(runs) == 1 and runs[0].config["image_size"] == 64
    worker_takes_and_cancel(store, runs[0].id)  # a worker picks it up without the page doing anything
