import io

import pytest
import torch
from PIL import Image

from replearn_core.cyclegan.lab import gallery, walk_view
from replearn_core.cyclegan.walk import BUNDLED, history, list_sources, model_info, read_upload, translate
from replearn_core.runs.jobs import execute_run

from tests.cyclegan.test_training import TINY


def _png(size=(300, 200), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_bundled_model_is_described_and_has_a_history():
    info = model_info(BUNDLED)
    assert "trained on" in info.description and "fruit" in info.description
    steps = [c.step for c in info.checkpoints]
    assert steps[0] == 0 and steps == sorted(steps) and len(steps) >= 3
    assert info.checkpoints[0].name == "untrained"


def test_bundled_model_translates_both_ways_at_every_checkpoint():
    info = model_info(BUNDLED)
    images = torch.randint(0, 256, (2, 3, info.config.image_size, info.config.image_size), dtype=torch.uint8)
    for direction in ("AtoB", "BtoA"):
        fake, rec = translate(info, images, direction)
        assert fake.shape == rec.shape == images.shape and fake.dtype == torch.uint8
    trail = history(info, images[0], "AtoB")
    assert len(trail) == len(info.checkpoints)
    assert not torch.equal(trail[0][1].translated, trail[-1][1].translated)  # training changed the output


def test_uploads_of_any_size_are_resized_and_non_images_refused():
    info = model_info(BUNDLED)
    image = read_upload(_png((300, 200)), info)
    assert image.shape == (3, info.config.image_size, info.config.image_size)
    with pytest.raises(ValueError, match="notes.txt is not an image"):
        read_upload(b"hello, not an image", info, "notes.txt")


def test_walk_view_and_gallery_return_pictures():
    view = walk_view(BUNDLED, image_index=1)
    assert [r.title for r in view.rows] == ["apple → orange → apple", "orange → apple → orange"]
    assert view.rows[0].real.shape[-1] == 3 and len(view.history) == len(view.info.checkpoints)
    uploaded = walk_view(BUNDLED, upload=_png(), upload_name="mine.png", checkpoint="untrained")
    assert uploaded.checkpoint.step == 0
    shown = gallery(BUNDLED, n=3)
    assert all(len(reals) == len(fakes) == 3 for reals, fakes in shown.values())


def test_a_run_of_the_store_is_a_source_with_its_checkpoints(store):
    run_id = store.create_run("cyclegan", TINY)
    execute_run(store, run_id)
    assert run_id in list_sources(store)
    info = model_info(run_id, store)
    assert [c.step for c in info.checkpoints] == [0, 3, 6]
    fake, _ = translate(info, torch.zeros(1, 3, 64, 64, dtype=torch.uint8), "BtoA", "checkpoint_step_000003")
    assert fake.shape == (1, 3, 64, 64)
    with pytest.raises(KeyError, match="no checkpoint"):
        info.checkpoint("checkpoint_step_999999")
