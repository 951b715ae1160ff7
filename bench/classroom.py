"""A class at once: N students press Train together; how long until all finish, and how the server answers meanwhile.

    .venv/bin/python bench/classroom.py                          # 30 students, the lab's default run each
    .venv/bin/python bench/classroom.py --students 30 --epochs 1  # the same queue, each run cut to one epoch
    .venv/bin/python bench/classroom.py --browsers 2              # and two headless Chromiums loading pages
    REPLEARN_EXECUTOR=ray .venv/bin/python bench/classroom.py     # through the Ray executor

Each simulated student signs in (classroom mode's engine API: ``runs.access``), passes the class limits and
submits the Self-supervised lab's default run (``lab_default_config``; ``--epochs`` shortens it) as their own,
all within a second, into a fresh data folder. Meanwhile the app's server (``streamlit run app.py``) answers
HTTP requests for its health and its page every half second, and optional headless Chromiums (Debian's, through
Playwright) load the Runs page again and again until its table shows. Reported: the time until every run has
ended, the slowest student's wait (from Train to their run starting) and finish, the HTTP and page-render
latency p50/p95 while the runs go on, and whether anything was lost (every run finished with its metrics and
final checkpoint). Wall-clock times: run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def streamlit_installed() -> bool:
    try:
        import streamlit  # noqa: F401
    except ImportError:
        return False
    return True


def start_server(data: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, REPLEARN_DATA=str(data))
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address",
                             "127.0.0.1", "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_http(url: str, timeout_s: float = 90) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app at {url} did not start within {timeout_s:.0f} s")


def poll_http(url: str, stop: threading.Event, samples: list[float], errors: list[str]) -> None:
    while not stop.is_set():
        for path in ("/_stcore/health", "/"):
            started = time.perf_counter()
            try:
                urllib.request.urlopen(url + path, timeout=30).read()
                samples.append(time.perf_counter() - started)
            except OSError as exc:
                errors.append(f"{path}: {exc}")
        stop.wait(0.5)


def browse(url: str, stop: threading.Event, samples: list[float], errors: list[str], profile: Path,
           every_s: float = 1.0) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        errors.append("playwright is not installed: no browser rows")
        return
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = context.new_page()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                page.goto(url + "/runs", wait_until="domcontentloaded", timeout=60_000)
                page.get_by_text("Runs", exact=False).first.wait_for(timeout=60_000)
                samples.append(time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001 - a timeout is a measurement too
                errors.append(f"browser: {type(exc).__name__}")
            stop.wait(every_s)
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=0, help="epochs per run (0 = the lab's default run)")
    parser.add_argument("--browsers", type=int, default=0, help="headless Chromiums loading the Runs page")
    parser.add_argument("--browser-every-s", type=float, default=1.0,
                        help="seconds between a browser's page loads (on a 2-core server, Chromiums reloading every "
                             "second take most of the CPU: in a classroom they run on the students' machines)")
    parser.add_argument("--timeout-min", type=float, default=90.0, help="give up after this many minutes")
    parser.add_argument("--out", default="classroom.json", help="file name of the JSON result in bench/results/")
    parser.add_argument("--no-server", action="store_true",
                        help="the engine API alone, no app server and no HTTP rows (where Streamlit is absent, "
                             "as on a bare GPU machine)")
    args = parser.parse_args()
    if not args.no_server and not streamlit_installed():
        print("Streamlit is not installed here: measuring the engine API alone (--no-server)")
        args.no_server = True

    scratch = Path(tempfile.mkdtemp(prefix="replearn_classroom_"))
    os.environ["REPLEARN_DATA"] = str(scratch)
    from replearn_core.runs import access
    from replearn_core.runs.access import ClassroomSettings, User
    from replearn_core.runs.store import RunStore
    from replearn_core.runs.worker import submit
    from replearn_core.ssl.lab import lab_default_config

    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = None if args.no_server else start_server(scratch, port)
    if server is not None:
        wait_http(url)
    store = RunStore(scratch)
    settings = ClassroomSettings(enabled=True, max_active_runs=1,
                                 max_epochs=0)
    config = lab_default_config()
    if args.epochs:
        config["epochs"] = args.epochs

    stop = threading.Event()
    http_samples, browser_samples, errors = [], [], []
    threads = [] if server is None else [
        threading.Thread(target=poll_http, args=(url, stop, http_samples, errors), daemon=True)]
    threads += [] if server is None else [
        threading.Thread(target=browse, args=(url, stop, browser_samples, errors, scratch / f"chrome{i}",
                                              args.browser_every_s), daemon=True) for i in range(args.browsers)]
    for t in threads:
        t.start()

    started = time.time()
    run_ids = {}
    for i in range(args.students):
        student = User(f"student{i:02d}")
        access.check_submit(store, student, config, settings)
        run_ids[student.name] = submit("ssl", dict(config), name=f"{student.name}'s run", store=store,
                                       owner=student.owner)
    submitted_s = time.time() - started
    deadline = started + args.timeout_min * 60
    peak_running = 0  # the most runs seen training at once (the device's slots, when the queue is long)
    while time.time() < deadline and any(store.get_run(r).active for r in run_ids.values()):
        time.sleep(1.0)
        statuses = [store.get_run(r).status for r in run_ids.values()]
        peak_running = max(peak_running, statuses.count("running"))
        done = sum(s not in ("queued", "running") for s in statuses)
        print(f"\r{done}/{len(run_ids)} runs ended, {statuses.count('running')} running, "
              f"{time.time() - started:.0f} s", end="", flush=True)
    total_s = time.time() - started
    print()
    stop.set()
    for t in threads:
        t.join(timeout=70)

    runs = [store.get_run(r) for r in run_ids.values()]
    waits = [(r.started or time.time()) - r.created for r in runs]
    finishes = [(r.finished or time.time()) - r.created for r in runs]
    lost = [r.id for r in runs if r.status != "finished" or "loss" not in store.metrics(r.id)
            or store.artifact(r.id, "checkpoint_final") is None]
    from replearn_core.device import describe, pick_device

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "device": describe(pick_device(None)),
        "executor": os.environ.get("REPLEARN_EXECUTOR", "local"), "students": args.students,
        "epochs_per_run": config["epochs"], "method": config["method"], "submit_all_s": round(submitted_s, 2),
        "all_finished_s": round(total_s, 1), "slowest_wait_s": round(max(waits), 1),
        "slowest_finish_s": round(max(finishes), 1), "peak_running": peak_running, "mean_run_s": round(statistics.mean(
            [(r.finished or time.time()) - (r.started or time.time()) for r in runs]), 1),
        "http_p50_s": percentile(http_samples, 0.5), "http_p95_s": percentile(http_samples, 0.95),
        "page_p50_s": percentile(browser_samples, 0.5), "page_p95_s": percentile(browser_samples, 0.95),
        "http_errors": len([e for e in errors if not e.startswith("browser")]),
        "lost_runs": lost, "statuses": {s: sum(r.status == s for r in runs) for s in {r.status for r in runs}},
    }
    if server is not None:
        server.terminate()
    from replearn_core.runs.warm import stop_warm_workers

    stop_warm_workers(scratch)
    out = ROOT / "bench" / "results" / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))

    def fmt(v):
        return "—" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    print(f"\n{args.students} students, {config['method']} default run ({config['epochs']} epochs each), "
          f"executor {result['executor']}, {result['device']}, {result['date']}")
    print("| students | epochs/run | runs at once | all finished s | slowest wait s | slowest finish s | mean run s "
          "| HTTP p50 / p95 s | page p50 / p95 s | lost |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.students} | {config['epochs']} | {peak_running} | {result['all_finished_s']} | "
          f"{result['slowest_wait_s']} | "
          f"{result['slowest_finish_s']} | {result['mean_run_s']} | {fmt(result['http_p50_s'])} / "
          f"{fmt(result['http_p95_s'])} | {fmt(result['page_p50_s'])} / {fmt(result['page_p95_s'])} | "
          f"{len(lost)} of {len(runs)} |")
    return 0 if not lost else 1


if __name__ == "__main__":
    raise SystemExit(main())
