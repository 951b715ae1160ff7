"""Image decoding for every upload widget: a non-image, a damaged file and a decompression bomb each get a
clear ValueError naming the file and the reason; nothing is decoded from a bomb.

The widgets and the engine function each calls: CycleGAN's "upload your own image" -> ``walk_view(upload=...)``,
metric learning's "search by example" -> ``image_from_bytes``. (The transfer page's encoder upload takes
checkpoints, not images: tests/test_checkpoints.py.)
"""

import io

import pytest
from PIL import Image

from replearn_core.cyclegan.lab import walk_view
from replearn_core.cyclegan.walk import BUNDLED
from replearn_core.data.images import open_image, read_image
from replearn_core.metric.search import image_from_bytes
from tests.bad_files import NOT_AN_IMAGE, bomb_png, png, truncated_png

BAD_UPLOADS = {
    "notes.jpg": (NOT_AN_IMAGE, "not an image"),
    "huge.png": (bomb_png(), "decompression bomb"),
    "wide.png": (bomb_png(10_000, 10_000), "decompression bomb"),  # PIL alone would only warn and decode it
    "cut.png": (truncated_png(), "damaged"),
}


def test_a_bomb_is_refused_from_its_header_before_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(Image.DecompressionBombError, match="10000×10000 pixels"):
        open_image(io.BytesIO(bomb_png(10_000, 10_000)))
    assert decoded == []


def test_an_image_at_the_pixel_limit_still_reads(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 30)
    assert read_image(io.BytesIO(png((40, 30))), 8).shape == (8, 8, 3)
    with pytest.raises(Image.DecompressionBombError):
        read_image(io.BytesIO(png((41, 30))), 8)


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_search_by_example_refuses_a_bad_upload_clearly(name):
    data, reason = BAD_UPLOADS[name]
    with pytest.raises(ValueError, match=f"{name} is not an image this lab can read.*{reason}"):
        image_from_bytes(data, name)


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_cyclegan_translate_refuses_a_bad_upload_clearly(name):
    data, reason = BAD_UPLOADS[name]
    with pytest.raises(ValueError, match=f"{name} is not an image this lab can read.*{reason}"):
        walk_view(BUNDLED, upload=data, upload_name=name)


def test_a_dataset_spec_is_checked_before_a_run_is_queued(tmp_path):
    """Unknown names and missing folders are refused at submit time, in the page's language."""
    from replearn_core.data import DatasetError, check_dataset_spec
    from replearn_core.i18n import error_text

    check_dataset_spec("shapes")
    check_dataset_spec(f"folder:{tmp_path}")
    with pytest.raises(DatasetError) as caught:
        check_dataset_spec("shapez")
    assert "unknown dataset 'shapez'" in str(caught.value) and "未知数据集" in error_text(caught.value, "zh")
    with pytest.raises(DatasetError) as caught:
        check_dataset_spec(f"folder:{tmp_path / 'nowhere'}")
    assert "no such folder" in str(caught.value) and "没有这个文件夹" in error_text(caught.value, "zh")
