"""First visit and first map on a freshly started server with a fresh data folder, in headless Chromium.

- navigation: ms from the request of ``/`` to the first frame with the app's own navigation in the sidebar
  (target: within 1 s of the page drawing anything; the table also gives the time from the request);
- first map: ms from the request of ``/feature_maps?run=<reference run>`` (UMAP, 5,000 points, the page's
  defaults) to the first drawn frame of the map viewer (target ≤ 5 s). While UMAP compiles, that frame is PCA,
  replaced when UMAP is ready: the table gives both.

The reference run is the first of the shipped reference runs (``assets/reference_runs/``, what a new classroom
sees); the data folder is a new temporary one, so no feature, map or numba cache of an earlier start is used.

    python bench/first_map.py            # three fresh servers, one after the other
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import AppServer, launch_chromium  # noqa: E402
from tests.browser.test_first_visit import RECORD_NAVIGATION  # noqa: E402


def reference_run(data_dir: Path) -> str:
    from replearn_core.runs.access import LOCAL, list_runs
    from replearn_core.runs.reference import open_store

    os.environ["REPLEARN_DATA"] = str(data_dir)
    store = open_store()
    runs = [r for r in list_runs(store, LOCAL) if r.status == "finished"]
    if not runs:
        raise SystemExit("no reference run is shipped in assets/reference_runs/")
    return runs[0].id


def once(playwright, timeout_s: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="first-map-"))
    data_dir = folder / "data"
    run_id = reference_run(data_dir)
    started = time.perf_counter()
    server = AppServer(data_dir)  # a new process: nothing imported, compiled or cached
    url = server.wait(300)
    ready_s = time.perf_counter() - started
    row = {"server_start_s": ready_s}
    try:
        browser = launch_chromium(playwright, folder / "chrome")
        page = browser.new_page()
        page.add_init_script(RECORD_NAVIGATION + "\nwindow.__painted = null; new PerformanceObserver(l => {"
                             " for (const e of l.getEntries()) if (e.name === 'first-contentful-paint')"
                             " window.__painted = e.startTime; }).observe({type: 'paint', buffered: true});")
        page.goto(url + "/", wait_until="commit")
        page.wait_for_function("window.__nav && window.__nav.length > 0", timeout=timeout_s * 1000)
        row["nav_ms"] = page.evaluate("window.__nav[0].ms")
        row["first_paint_ms"] = page.evaluate("window.__painted")
        map_page = browser.new_page()
        t0 = time.perf_counter()
        map_page.goto(f"{url}/feature_maps?run={run_id}", wait_until="commit")
        first, method = None, None
        deadline = time.time() + timeout_s
        while time.time() < deadline and method != "umap":
            for frame in map_page.frames:
                try:
                    if frame.query_selector("#map") and frame.evaluate("() => window.__frames > 0"):
                        if first is None:
                            first = time.perf_counter() - t0
                        shown = frame.evaluate("() => D && D.key")
                        if shown:
                            method = "pca" if map_page.get_by_text("is being prepared").count() else "umap"
                except Exception:  # noqa: BLE001 - frames come and go while the page draws
                    continue
            map_page.wait_for_timeout(100)
        row["first_map_s"] = first
        row["umap_s"] = time.perf_counter() - t0 if method == "umap" else None
        browser.close()
    finally:
        server.stop()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        for _ in range(args.repeats):
            rows.append(once(p, args.timeout))
            print(rows[-1], flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("| | median | runs |")
    print("|---|---|---|")
    for key, label in (("first_paint_ms", "first paint of / (ms)"), ("nav_ms", "navigation drawn (ms)"),
                       ("first_map_s", "first map drawn (s)"), ("umap_s", "UMAP map drawn (s)")):
        values = [r[key] for r in rows if r.get(key) is not None]
        median = f"{statistics.median(values):,.1f}" if values else "–"
        print(f"| {label} | {median} | {', '.join(f'{v:,.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
