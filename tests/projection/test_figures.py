import base64
import io
import json
import re

import numpy as np
import torch
from PIL import Image

from replearn_core.projection.figures import hover_map_html, map_figure, selected_positions, thumbnail_atlas
from replearn_core.projection.maps import FeatureMap


def tiny_map(n=7):
    rng = np.random.default_rng(0)
    return FeatureMap(source="init", source_label="x", checkpoint="c", method="pca", params={},
                      coords=rng.standard_normal((n, 2)).astype(np.float32), labels=np.array([0, 1] * 3 + [0])[:n],
                      class_names=["a", "b"], indices=np.arange(100, 100 + n), features=np.zeros((n, 4)),
                      dataset="shapes", split="test", image_size=32, scores={}, wall_s=0.0, timings={})


def test_atlas_holds_each_thumbnail_in_its_tile():
    images = torch.zeros(5, 3, 32, 32, dtype=torch.uint8)
    images[3] = 255  # the fourth image is white
    atlas, columns = thumbnail_atlas(images, tile=32, columns=2)
    sheet = np.asarray(Image.open(io.BytesIO(atlas)))
    assert columns == 2 and sheet.shape == (3 * 32, 2 * 32, 3)
    assert sheet[32:64, 32:64].mean() > 240 and sheet[:32, :32].mean() < 15  # row 1, column 1 is white


def test_hover_html_is_self_contained_and_carries_every_point():
    fmap = tiny_map()
    html = hover_map_html(fmap, torch.zeros(7, 3, 32, 32, dtype=torch.uint8))
    assert "<script src" not in html  # no network needed
    data = json.loads(re.search(r"const D = (\{.*?\});\n", html).group(1))
    assert len(data["x"]) == 7 and data["index"][0] == 100 and data["names"] == ["a", "b"]
    atlas = re.search(r'base64,([A-Za-z0-9+/=]+)"', html).group(1)
    Image.open(io.BytesIO(base64.b64decode(atlas))).verify()


def test_legend_traces_and_selection_map_back_to_points():
    fmap = tiny_map()
    fig = map_figure(fmap)
    assert [t.name for t in fig.data] == ["a", "b"]  # one trace per class: the legend toggles classes
    picked = selected_positions(fmap, {"points": [{"curve_number": 1, "point_index": 0},
                                                  {"customdata": [4, 104]}]})
    assert picked == [1, 4]  # class b's first point is map position 1
