import base64
import io
import json
import re

import numpy as np
import torch
from PIL import Image

from replearn_core.projection.figures import (VIEWER_DIR, hover_map_html, map_figure, selected_positions,
                                              thumbnail_atlas, thumbnails, viewer_data)
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


def embedded(html: str) -> dict:
    return json.loads(re.search(r"const EMBEDDED = (\{.*?\});\n", html).group(1))


def decoded(text: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype).newbyteorder("<"))


def test_viewer_page_is_self_contained_and_its_arrays_read_back():
    fmap = tiny_map()
    html = hover_map_html(fmap, torch.zeros(7, 3, 32, 32, dtype=torch.uint8))
    assert "<script src" not in html and "<link" not in html and "http" not in html.split("<script>")[0]
    assert "fetch(" not in html and "XMLHttpRequest" not in html and "import(" not in html  # nothing fetched
    data = embedded(html)
    assert data["points"] == 7 and data["class_names"] == ["a", "b"]
    np.testing.assert_array_equal(decoded(data["coords"], np.float32).reshape(-1, 2), fmap.coords)
    np.testing.assert_array_equal(decoded(data["labels"], np.uint16), fmap.labels)
    np.testing.assert_array_equal(decoded(data["indices"], np.int32), fmap.indices)
    starts, order = decoded(data["index"]["starts"], np.int32), decoded(data["index"]["order"], np.int32)
    assert starts[-1] == 7 and sorted(order.tolist()) == list(range(7))  # every point in one bucket
    Image.open(io.BytesIO(base64.b64decode(data["sprites"]["jpeg"]))).verify()
    density = decoded(data["density"]["values"], np.uint8)
    assert density.size == data["density"]["size"] ** 2 and density.max() == 255
    assert len(data["clusters"]["centres"]) == 2 and set(data["clusters"]["names"]) <= {"a", "b"}


def test_viewer_script_writes_no_markup():
    script = (VIEWER_DIR / "index.html").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script
    assert "textContent" in script and "createTextNode" in script


def test_large_maps_carry_no_images_and_send_them_on_demand(monkeypatch):
    from replearn_core.projection import figures

    monkeypatch.setattr(figures, "SPRITES_UP_TO", 5)
    fmap = tiny_map()
    data = viewer_data(fmap, torch.zeros(7, 3, 32, 32, dtype=torch.uint8))
    assert "sprites" not in data
    import replearn_core.projection.maps as maps

    monkeypatch.setattr(maps, "map_images", lambda fm, pos: torch.full((len(list(pos)), 3, 32, 32), 7, dtype=torch.uint8))
    thumbs = thumbnails(fmap, [3, 5])
    assert set(thumbs) == {"3", "5"}
    assert np.asarray(Image.open(io.BytesIO(base64.b64decode(thumbs["3"])))).mean() == 7


def test_legend_traces_and_selection_map_back_to_points():
    fmap = tiny_map()
    fig = map_figure(fmap)
    assert [t.name for t in fig.data] == ["a", "b"]  # one trace per class: the legend toggles classes
    picked = selected_positions(fmap, {"points": [{"curve_number": 1, "point_index": 0},
                                                  {"customdata": [4, 104]}]})
    assert picked == [1, 4]  # class b's first point is map position 1


def test_viewer_reply_answers_a_click_with_the_scores_neighbours_and_ignores_junk(monkeypatch):
    import replearn_core.projection.maps as maps
    from replearn_core.projection import point_neighbours
    from ui.feature_map_view import viewer_reply

    fmap = tiny_map()
    fmap.features = np.random.default_rng(1).standard_normal((7, 4)).astype(np.float32)
    monkeypatch.setattr(maps, "map_images", lambda fm, pos: torch.zeros((len(list(pos)), 3, 32, 32), dtype=torch.uint8))
    reply = viewer_reply(fmap, {"seq": 4, "clicked": 2, "want": [1, "x", -3, 99, True]}, has_sprites=False)
    expected = point_neighbours(fmap, 2, k=6)  # k is capped at the other points
    assert reply["seq"] == 4 and reply["neighbours"]["point"] == 2
    assert [f["position"] for f in reply["neighbours"]["features"]] == expected.positions.tolist()
    assert np.allclose([f["distance"] for f in reply["neighbours"]["features"]], expected.distances)
    assert {"1", "2"} <= set(reply["thumbs"]) and all(k.isdigit() and int(k) < 7 for k in reply["thumbs"])
    for junk in (None, "x", {"clicked": "3"}, {"clicked": 10 ** 9}, {"clicked": -1}, {"want": "1,2"}):
        assert "neighbours" not in viewer_reply(fmap, junk, has_sprites=True)
