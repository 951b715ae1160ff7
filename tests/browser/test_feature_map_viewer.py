"""The feature map viewer in Chromium, on a real server: hover shows a point's image, a click shows its nearest
neighbours in feature space (images, classes, distances: the engine's cosine kNN), a box selection shows its
images and class counts under the map, and the export downloads its ids and labels as CSV and its images as a
zip. Everything goes through the viewer's own Streamlit component messages, served by this server only."""

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from replearn_core.i18n import translate
from tests.browser.conftest import CHROMIUM, ROOT, AppServer, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"


def a_run(data_dir: Path) -> str:
    """A finished SSL run on the built-in shapes data with one encoder checkpoint (seeded random weights)."""
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext
    from replearn_core.runs.store import RunStore

    store = RunStore(data_dir)
    run_id = store.create_run("ssl", {"method": "simclr", "dataset": "shapes", "backbone": "small_cnn",
                                      "image_size": 32, "knn_bank_images": 500, "eval_images": 200})
    ctx = RunContext(store, run_id, torch.device("cpu"))
    torch.manual_seed(0)
    ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                     meta={"backbone": "small_cnn", "epoch": 1})
    ctx.close()
    store.finish(run_id, "finished")
    store.close()
    return run_id


def viewer_frame(page):
    for _ in range(240):
        for frame in page.frames:
            try:
                if frame.query_selector("#map") is not None and frame.evaluate("() => window.__frames > 0"):
                    return frame
            except Exception:  # noqa: BLE001 - a frame that is still loading
                continue
        page.wait_for_timeout(500)
    raise AssertionError("the map viewer never drew a frame")


def point_under_mouse(page, frame) -> tuple[float, float, str]:
    """Move over the map until the tooltip shows a point: (x, y) in the page, and the class it names."""
    frame.query_selector("#map").scroll_into_view_if_needed()
    box = frame.query_selector("#map").bounding_box()
    for y in np.linspace(box["y"] + 10, box["y"] + box["height"] - 10, 30):
        for x in np.linspace(box["x"] + 10, box["x"] + box["width"] - 10, 30):
            page.mouse.move(x, y)
            if frame.is_visible("#tip"):
                return x, y, frame.inner_text("#lab-name")
    raise AssertionError("no point under the mouse anywhere on the map")


def test_click_shows_neighbours_and_a_box_selection_exports_csv_and_zip(tmp_path, data_dir, monkeypatch):
    from playwright.sync_api import sync_playwright

    run_id = a_run(data_dir)
    monkeypatch.setenv("REPLEARN_REFRESH_S", "3600")
    server = AppServer(data_dir)
    url = server.wait()
    ARTIFACTS.mkdir(exist_ok=True)
    outside = []  # any request that leaves this server (a CDN, a font): the viewer must need none
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp_path / "chrome")
            page = browser.new_page()
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:",
                                                                                           "about:")) else None)
            try:
                page.goto(f"{url}/feature_maps?run={run_id}&projection=pca", wait_until="domcontentloaded")
                page.get_by_text(translate("maps.viewer_hint", "en")).first.wait_for(timeout=180_000)
                frame = viewer_frame(page)
                legend = frame.eval_on_selector_all("#legend .chip", "chips => chips.map(c => c.textContent)")
                assert {"circle", "square"} <= set(legend), legend  # the shapes data set's classes
                x, y, hovered = point_under_mouse(page, frame)
                assert hovered in legend
                # a click: the point's neighbours in feature space, as images with classes and distances
                page.mouse.click(x, y)
                frame.wait_for_selector("#neighbours figure.point", timeout=60_000)
                frame.wait_for_function("document.querySelectorAll('#nb-row figure').length === 9", timeout=60_000)
                figures = frame.query_selector_all("#nb-row figure")
                captions = [f.inner_text() for f in figures[1:]]
                distances = [float(c.split()[-1]) for c in captions]
                assert all(0 <= d <= 2 for d in distances) and distances == sorted(distances), captions
                assert all(f.query_selector("b").inner_text() in legend for f in figures), captions
                assert all(f.query_selector("img").get_attribute("src").startswith("data:image/png;base64,")
                           for f in figures[1:])  # the engine's images, sent back through the component
                assert "nearest in feature space" in frame.inner_text("#nb-title")
                # a box around the whole map: every point selected, shown under the map, exported
                frame.click("#reset")
                frame.click("#mode-box")
                box = frame.query_selector("#map").bounding_box()
                page.mouse.move(box["x"] + 2, box["y"] + 2)
                page.mouse.down()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
                page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=5)
                page.mouse.up()
                selected = int(frame.inner_text("#status").split()[0].replace(",", ""))
                assert selected > 0
                page.get_by_text(f"{selected:,} selected").first.wait_for(timeout=120_000)
                with page.expect_download(timeout=120_000) as download:
                    page.get_by_role("button", name=translate("maps.export_csv", "en")).click()
                rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
                assert len(rows) == selected
                assert set(rows[0]) == {"position", "index", "label", "class_name", "x", "y"}
                assert {r["class_name"] for r in rows} <= set(legend)
                with page.expect_download(timeout=120_000) as download:
                    page.get_by_role("button", name=translate("maps.export_zip", "en")).click()
                with zipfile.ZipFile(download.value.path()) as archive:
                    names = archive.namelist()
                    assert "selection.csv" in names
                    pngs = [n for n in names if n.endswith(".png")]
                    assert len(pngs) == selected
                    assert archive.read(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"
            finally:
                page.screenshot(path=str(ARTIFACTS / "feature_map_viewer.png"), full_page=True)
            browser.close()
    finally:
        server.stop()
    assert not outside, f"the page fetched from elsewhere: {outside[:5]}"
