import re

import pytest

from replearn_core.runs.store import RunStore
from tests.pages.conftest import choose_missing_folder, page, worker_takes_and_cancel

PAGE = "pages/1_ssl_lab.py"



def test_page_renders_controls_preview_and_method_text():
    at = page(PAGE).run()
    assert not at.exception
    labels = [s.label for s in at.sidebar.selectbox]
    assert {"Dataset", "Method", "Backbone"} <= set(labels)
    assert all(w.help for w in at.sidebar.selectbox)  # every control explains itself
    assert at.latex, "the chosen method's loss formula is shown"
    assert any("No run yet" in i.value for i in at.info)


def test_simsiam_offers_the_stop_gradient_switch():
    at = page(PAGE).run()
    method = next(s for s in at.sidebar.selectbox if s.label == "Method")
    method.set_value("simsiam").run()
    assert any(t.label == "Stop-gradient" for t in at.sidebar.toggle)


def test_bad_folder_gives_a_message_not_a_crash(tmp_path):
    errors = choose_missing_folder(page(PAGE).run(), "Dataset", tmp_path / "missing", click=False)
    assert any("no such folder" in e for e in errors)


def test_train_button_queues_a_run_that_a_worker_executes(data_dir):
    at = page(PAGE).run()
    epochs = next(s for s in at.sidebar.slider if s.label == "Epochs")
    epochs.set_value(1)
    at.button[0].click().run()
    assert not at.exception
    store = RunStore(data_dir)
    runs = store.list_runs(kind="ssl")
    assert len(runs) == 1 and runs[0].config["epochs"] == 1
    worker_takes_and_cancel(store, runs[0].id)


def test_every_registered_method_is_offered_with_its_card():
    from replearn_core.ssl.methods import METHODS

    at = page(PAGE).run()
    method = next(s for s in at.sidebar.selectbox if s.label == "Method")
    assert list(method.options) == [cls.title for cls in METHODS.values()]  # read from the registry
    method.set_value("vicreg").run()
    assert not at.exception
    assert any(s.value == METHODS["vicreg"].title for s in at.subheader)
    assert {"Invariance weight λ", "Variance weight μ", "Covariance weight ν"} <= {
        w.label for w in [*at.sidebar.slider, *at.sidebar.number_input]}


def test_a_runs_warnings_are_shown_beside_it(data_dir):
    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "folder:/photos"})
    store.add_warning(run_id, "folder:/photos: skipped 1 file(s) that could not be read as images: cat/a.txt "
                              "(not an image)")
    store.finish(run_id, "finished")
    at = page(PAGE).run()
    assert not at.exception
    # the warning is the user's text, escaped for Markdown (escape.markdown_text): read it back as shown
    shown = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]
    assert any("folder:/photos: skipped 1 file(s)" in w and "cat/a.txt (not an image)" in w for w in shown)


def test_train_with_untouched_settings_submits_the_lab_default_run(data_dir, monkeypatch):
    """The run bench/responsiveness.py times (lab_default_config) is the one the page submits by default."""
    import replearn_core.ssl.lab as lab
    from replearn_core.ssl.config import TrainConfig
    from replearn_core.ssl.methods import METHODS

    submitted = []

    def recording_submit(kind, config, name=None, store=None, owner=None):
        submitted.append((kind, config))
        return store.create_run(kind, config, name, owner)  # queued, never executed

    monkeypatch.setattr("replearn_core.runs.worker.submit", recording_submit)
    at = page(PAGE).run()
    at.button[0].click().run()
    assert not at.exception
    expected = TrainConfig.from_dict(lab.lab_default_config()).validate(METHODS).to_dict()
    assert submitted == [("ssl", expected)]


def test_mae_picks_the_vit_backbone_and_offers_its_mask_ratio():
    at = page(PAGE).run()
    next(s for s in at.sidebar.selectbox if s.label == "Method").set_value("mae").run()
    assert not at.exception
    backbone = next(s for s in at.sidebar.selectbox if s.label == "Backbone")
    assert backbone.value == "vit" and backbone.options == ["vit"]
    assert any(s.label == "Mask ratio" and s.value == 0.75 for s in at.sidebar.slider)
    assert any(t.label == "Normalised patch targets" for t in at.sidebar.toggle)


def test_vae_offers_beta():
    at = page(PAGE).run()
    next(s for s in at.sidebar.selectbox if s.label == "Method").set_value("vae").run()
    assert any(s.label.startswith("β") and s.value == 1.0 for s in at.sidebar.slider)


def _captions(at) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


@pytest.mark.parametrize("method, expected", [
    ("mae", ["rows, top to bottom: masked input; epoch 1; epoch 2; original"]),
    ("vae", ["rows, top to bottom: original; epoch 1; epoch 2", "samples from the prior", "latent dimension"]),
    ("jigsaw", ["predicted order"]),
])
def test_a_runs_stored_method_is_drawn_under_its_curves(store, method, expected):
    from tests.ssl.test_views import tiny_run

    run_id = tiny_run(store, method)
    at = page(PAGE)
    at.session_state["ssl_run_id"] = run_id
    at.run()
    assert not at.exception
    assert any("What the model draws" in h.value for h in at.subheader)
    captions = " | ".join(c for c in _captions(at) if c)
    for text in expected:
        assert text in captions, captions


def test_a_run_without_views_draws_no_pictures_of_its_method(store):
    from tests.ssl.test_views import tiny_run

    run_id = tiny_run(store, "rotation", epochs=1)
    at = page(PAGE)
    at.session_state["ssl_run_id"] = run_id
    at.run()
    assert not any("What the model draws" in h.value for h in at.subheader)


def test_a_new_method_appears_with_its_card_settings_and_option_without_editing_the_page(monkeypatch):
    """A method added to the registry needs no edit of the page: the lab lists it, shows its card, offers the
    temperature only when it declares one, and draws the option it declares."""
    from replearn_core.options import Option
    from replearn_core.ssl.methods import METHODS
    from replearn_core.ssl.methods.simclr import SimCLR

    class Sharpened(SimCLR):
        name = "sharpened"
        title = "Sharpened SimCLR (toy)"
        summary = "A toy: SimCLR with a declared setting."
        uses_temperature = False
        options = (Option("sharpness", 2.0, "Sharpness", "How much sharper than SimCLR.", 1.0, 4.0, step=0.5),)

    monkeypatch.setitem(METHODS, "sharpened", Sharpened)
    at = page(PAGE)
    at.query_params["method"] = "sharpened"
    at.run()
    assert not at.exception
    assert next(s for s in at.sidebar.selectbox if s.label == "Method").value == "sharpened"
    assert any(s.value == "Sharpened SimCLR (toy)" for s in at.subheader)
    sliders = {s.label: s.value for s in at.sidebar.slider}
    assert sliders["Sharpness"] == 2.0 and "Temperature τ" not in sliders
    assert sliders["Epochs"] == Sharpened.default_epochs
