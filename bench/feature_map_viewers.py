"""The feature map viewers side by side in headless Chromium: the lab's own viewer
(replearn_core/projection/viewer/index.html) and Embedding Atlas's Streamlit component, on the same maps.

Maps: 5,000 and 20,000 points of the CIFAR-10 JPEGs (train + test, ../shared/data/cifar10; 2-D = PCA of the
pixels: the viewers' cost depends on the points, not on how they were placed) and 100,000 points of a seeded
2-D Gaussian mixture with the same classes (no images: a map that large fetches its images on demand).

For each viewer and map:
- first frame: ms from the page's request (navigation start) to the first drawn frame;
- hover: ms from a mouse move onto a point (the event's time stamp) to the next painted frame with the tooltip
  (its image, or at 100,000 points its class and image number: images come from Python on demand), median and
  p95 over 200 moves onto random points;
- memory: the tab's JSHeapUsedSize (Chrome DevTools Protocol, Performance.getMetrics) after the hovers;
- whether it drew at all, and which requests left the machine.

Embedding Atlas is measured from a throwaway virtual environment, never the lab's (``--atlas-venv``, made with
``python -m venv /tmp/atlas-venv && /tmp/atlas-venv/bin/pip install --no-deps embedding-atlas==0.26.0 &&
/tmp/atlas-venv/bin/pip install streamlit pandas pyarrow``): a Streamlit app that shows the same data frame in
its component, served on 127.0.0.1; the machine has no route to the CDN the component loads duckdb-wasm from.

    python bench/feature_map_viewers.py                       # ours: 5k, 20k, 100k
    python bench/feature_map_viewers.py --atlas-venv /tmp/atlas-venv
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CIFAR = ROOT.parent / "shared" / "data" / "cifar10"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu"]
SIZES = (5_000, 20_000, 100_000)


def cifar_map(points: int):
    """A FeatureMap of ``points`` CIFAR-10 JPEGs (train + test), placed by PCA of their pixels, and its images."""
    import torch

    from replearn_core.data import load_dataset
    from replearn_core.projection import PCA
    from replearn_core.projection.maps import FeatureMap

    parts = [load_dataset(f"folder:{CIFAR / split}", "all", 32) for split in ("train", "test")]
    all_images = torch.cat([part.images for part in parts])
    all_labels = np.concatenate([np.asarray(part.labels) for part in parts])
    keep = np.sort(np.random.default_rng(0).permutation(len(all_images))[:points])
    images = all_images[torch.as_tensor(keep)]
    pixels = images.reshape(len(keep), -1).float().numpy() / 255.0
    coords = PCA(random_state=0).fit_transform(pixels)[:, :2].astype(np.float32)
    labels = all_labels[keep]
    data = parts[0]
    fmap = FeatureMap(source="bench", source_label="CIFAR-10 JPEGs", checkpoint="pixels", method="pca", params={},
                      coords=coords, labels=labels, class_names=list(data.class_names), indices=keep,
                      features=pixels[:, :8], dataset=f"folder:{CIFAR}", split="all", image_size=32, scores={},
                      wall_s=0.0, timings={})
    return fmap, images


def synthetic_map(points: int):
    """A seeded 2-D Gaussian mixture of ten classes (CIFAR-10's names), no images."""
    from replearn_core.projection.maps import FeatureMap

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, points)
    centres = rng.normal(0, 6, (10, 2))
    coords = (centres[labels] + rng.normal(0, 1, (points, 2))).astype(np.float32)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    return FeatureMap(source="bench", source_label="synthetic", checkpoint="-", method="pca", params={},
                      coords=coords, labels=labels, class_names=names, indices=np.arange(points),
                      features=np.zeros((points, 2), np.float32), dataset="synthetic", split="all", image_size=32,
                      scores={}, wall_s=0.0, timings={}), None


def the_map(points: int):
    return cifar_map(points) if points <= 20_000 and CIFAR.exists() else synthetic_map(points)


def serve(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: D102 - no line per request
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def summary(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.median(values), float(np.percentile(values, 95))


def measure_ours(playwright, points: int, moves: int = 200) -> dict:
    from replearn_core.projection.figures import viewer_data, viewer_html

    fmap, images = the_map(points)
    t0 = time.perf_counter()
    html = viewer_html(viewer_data(fmap, images))
    build_s = time.perf_counter() - t0
    folder = Path(tempfile.mkdtemp())
    (folder / "map.html").write_text(html, encoding="utf-8")
    url, server = serve(folder)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:")) else None)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url + "/map.html", wait_until="commit")
    page.wait_for_function("window.__frames > 0", timeout=120_000)
    first = page.evaluate("window.__firstFrame")
    if images is not None:
        page.wait_for_function("D.sprites && D.sprites.ready", timeout=120_000)
    targets = page.evaluate("""(moves) => { const b = map.getBoundingClientRect(), out = [];
        let seed = 1; const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
        while (out.length < moves) { const i = Math.floor(rand() * D.n), x = sx(D.x[i]), y = sy(D.y[i]);
          if (x > 5 && y > 5 && x < map.width - 5 && y < map.height - 5) out.push([b.left + x, b.top + y]); }
        return out; }""", moves)
    for x, y in targets:
        page.mouse.move(x, y)
        page.wait_for_timeout(20)
    page.wait_for_timeout(300)
    key = "__hover" if images is not None else "__tips"
    hovers = [h["ms"] for h in page.evaluate(f"window.{key}")]
    heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["JSHeapUsedSize"]
    browser.close()
    server.shutdown()
    median, p95 = summary(hovers)
    return {"viewer": "ours", "points": points, "drew": True, "first_frame_ms": first, "hover_median_ms": median,
            "hover_p95_ms": p95, "hovers": len(hovers), "heap_mb": heap / 2 ** 20, "page_mb": len(html) / 2 ** 20,
            "build_s": build_s, "hover_shows": "image" if images is not None else "class and image number",
            "outside": sorted(set(outside))}


ATLAS_APP = textwrap.dedent("""
    import numpy as np, pandas as pd, streamlit as st
    from embedding_atlas.streamlit import embedding_atlas
    st.set_page_config(layout="wide")
    frame = pd.read_parquet({path!r})
    embedding_atlas(frame, x="x", y="y", text="label", show_table=False, show_charts=False)
""")


def measure_atlas(playwright, venv: Path, points: int, wait_s: float = 30.0) -> dict:
    """Embedding Atlas's Streamlit component on the same points: did it draw, and what did it ask for."""
    import pandas as pd

    fmap, _ = the_map(points)
    folder = Path(tempfile.mkdtemp())
    pd.DataFrame({"x": fmap.coords[:, 0], "y": fmap.coords[:, 1],
                  "label": np.asarray(fmap.class_names)[fmap.labels]}).to_parquet(folder / "map.parquet")
    (folder / "app.py").write_text(ATLAS_APP.format(path=str(folder / "map.parquet")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(venv / "bin" / "python"), "-m", "streamlit", "run", str(folder / "app.py"),
                               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless",
                               "true", "--browser.gatherUsageStats", "false"], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                import urllib.request

                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        outside, failed = [], []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
        page.on("requestfailed", lambda r: failed.append(r.url))
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(url, wait_until="commit")
        drew, first = False, None
        deadline = time.time() + wait_s
        while time.time() < deadline:  # a drawn canvas in the component's frame
            for frame in page.frames:
                try:
                    if frame.evaluate("() => [...document.querySelectorAll('canvas')].some(c => c.width > 100)"):
                        drew, first = True, page.evaluate("performance.now()")
                except Exception:  # noqa: BLE001 - frames come and go while it loads
                    continue
            if drew:
                break
            page.wait_for_timeout(250)
        heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["JSHeapUsedSize"]
        browser.close()
    finally:
        server.terminate()
        server.wait(20)
    return {"viewer": "embedding-atlas (Streamlit component)", "points": points, "drew": drew,
            "first_frame_ms": first, "hover_median_ms": None, "hover_p95_ms": None, "hovers": 0,
            "heap_mb": heap / 2 ** 20, "outside": sorted({u.split("?")[0] for u in outside})[:6],
            "failed_outside": len([u for u in failed if not u.startswith(url)])}


def fmt(value, digits=0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--atlas-venv", type=Path, help="a virtual environment with embedding-atlas installed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        for points in args.points:
            rows.append(measure_ours(p, points))
            print(rows[-1], flush=True)
            if args.atlas_venv:
                rows.append(measure_atlas(p, args.atlas_venv, points))
                print(rows[-1], flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("| viewer | points | drew | first frame (ms) | hover median / p95 (ms) | tab JS heap (MB) | page (MB) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['viewer']} | {r['points']:,} | {'yes' if r['drew'] else 'no'} | {fmt(r['first_frame_ms'])} | "
              f"{fmt(r['hover_median_ms'], 1)} / {fmt(r['hover_p95_ms'], 1)} | {fmt(r['heap_mb'], 1)} | "
              f"{fmt(r.get('page_mb'), 1)} |")


if __name__ == "__main__":
    main()
