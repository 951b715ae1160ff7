"""Responsiveness of the lab: how soon a run shows its first points after Train, and how much a browser slows it.

    .venv/bin/python bench/responsiveness.py                 # cold and warm worker, quiet machine
    .venv/bin/python bench/responsiveness.py --load          # and again beside the app's server and a browser
    .venv/bin/python bench/responsiveness.py --warm --load   # only the warm worker
    REPLEARN_WORKER_THREADS=1 .venv/bin/python bench/responsiveness.py --load   # other worker settings
    .venv/bin/python bench/responsiveness.py --epochs 1 --quick                 # check that the script works

The lab's default SSL run (``lab_default_config``: what the Self-supervised lab page submits when Train is
pressed without touching a setting) is submitted through ``start_ssl_run``, the page's own path, into a fresh
data folder, once for each way of running jobs:

- *cold*: a new process per run, which imports torch and loads the data itself (``REPLEARN_WARM_WORKER=0``);
- *warm*: a fork of the warm worker, which a page visit has started beforehand (the time it took to become
  ready is printed: a visitor pays it while looking at the page, not after Train).

The run's store is watched for the *first loss* (the first point of the loss curve), the *first kNN* (the
untrained encoder's step-0 kNN accuracy, the baseline line of the kNN chart) and the *finished* run
(checkpoints, embeddings and the linear probe included), in seconds after the call that Train makes. Before
that call the dataset is loaded in this process, as the page's preview has done. Before any measurement a
throwaway process imports the training code once, so that every row finds torch's files in the operating
system's cache (otherwise the first row alone pays reading them from disk).

With ``--load`` each is measured again while the app's server (``streamlit run app.py``, headless, on a free
port) and a headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) showing the
Self-supervised lab page, which draws the run live, share the machine; the table adds each time's ratio to
the quiet one. Targets (issue 11): the first loss within 5 s of Train on a quiet 2-core CPU; the default run
under that load within 1.5 times its quiet time.

Worker threads, niceness and OpenMP waiting come from the environment (``REPLEARN_WORKER_THREADS``,
``REPLEARN_WORKER_NICE``, ``REPLEARN_WORKER_OMP_WAIT``: replearn_core/runs/worker_settings.py) and are printed
above the table. It measures wall-clock time: run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
POLL_S = 0.05  # how often the store is read while a run goes on
TARGET_FIRST_LOSS_S = 5.0
TARGET_LOAD_RATIO = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="only a new process per run")
    parser.add_argument("--warm", action="store_true", help="only the warm worker")
    parser.add_argument("--load", action="store_true", help="measure again beside the app's server and a browser")
    parser.add_argument("--method", default=None, help="another method's default run (default: the page's first)")
    parser.add_argument("--epochs", type=int, default=None, help="override the default run's epochs")
    parser.add_argument("--quick", action="store_true",
                        help="a smaller run (1,024 training images, smaller evaluation): to check the script")
    parser.add_argument("--timeout-s", type=float, default=1800, help="give up on a run after this long")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data folders (their paths are printed)")
    args = parser.parse_args()
    modes = ["cold"] if args.cold and not args.warm else ["warm"] if args.warm and not args.cold else ["cold", "warm"]

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    from replearn_core.runs.worker_settings import WorkerSettings, run_threads
    from replearn_core.ssl.lab import lab_default_config

    settings = WorkerSettings.from_env()
    config = lab_default_config(args.method)
    if args.epochs:
        config["epochs"] = args.epochs
    if args.quick:
        config.update(max_train_images=1024, knn_bank_images=1000, eval_images=500)
    print(f"run: {config['method']} on {config['dataset']}, {config['backbone']}, {config['epochs']} epoch(s), "
          f"batch {config['batch_size']}{' (--quick)' if args.quick else ''}")
    print(f"workers: {run_threads(settings)} threads (REPLEARN_WORKER_THREADS), niceness +{settings.nice} "
          f"(REPLEARN_WORKER_NICE), OpenMP waiting {os.environ.get('OMP_WAIT_POLICY', settings.omp_wait)}; "
          f"{os.cpu_count()} cores")

    warm_file_cache()
    rows, notes, folders = [], [], []
    try:
        for mode in modes:
            folder = Path(tempfile.mkdtemp(prefix=f"replearn-responsiveness-{mode}-"))
            folders.append(folder)
            os.environ.update(REPLEARN_DATA=str(folder), REPLEARN_WARM_WORKER="1" if mode == "warm" else "0")
            store = open_store(folder, config)
            if mode == "warm":
                notes.append(f"warm worker ready {start_warm_worker(folder):.1f} s after a page asked for it")
            rows.append(measure(store, config, mode, "quiet", args.timeout_s))
            if args.load:
                with AppUnderLoad(folder) as app:
                    row = measure(store, config, mode, "server + browser", args.timeout_s)
                    row["page_showed_run"] = app.shows_run(row["run_id"])
                rows.append(row)
            store.close()
    finally:
        from replearn_core.runs.warm import stop_warm_workers

        for folder in folders:
            stop_warm_workers(folder)
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print_table(rows, notes)
    if args.keep:
        print("data folders: " + ", ".join(map(str, folders)))
    if args.json:
        args.json.write_text(json.dumps({"config": config, "settings": settings.__dict__, "rows": rows}, indent=1))
    return 0 if all(row["status"] == "finished" for row in rows) else 1


def warm_file_cache() -> None:
    """Import what a run imports in a throwaway process, untimed: the rows then compare workers, not disks."""
    subprocess.run([sys.executable, "-c", "import replearn_core.ssl.job, sklearn.linear_model, streamlit"],
                   cwd=ROOT, check=True)


def open_store(folder: Path, config: dict):
    """The fresh folder's store, and the run's dataset loaded in this process as the page's preview does."""
    from replearn_core.data import load_dataset
    from replearn_core.runs.store import RunStore

    store = RunStore(folder)
    load_dataset(config["dataset"], "train", config["image_size"])
    return store


def start_warm_worker(folder: Path) -> float:
    """Ask for the warm worker as a page visit does; seconds until it is ready."""
    from replearn_core.runs.warm import keep_warm, wait_until_ready

    started = time.perf_counter()
    keep_warm(folder)
    wait_until_ready(folder, timeout_s=600)
    return time.perf_counter() - started


def measure(store, config: dict, mode: str, condition: str, timeout_s: float) -> dict:
    """Submit the run as the Train button does and watch the store until it ends."""
    from replearn_core.ssl.lab import start_ssl_run

    started = time.time()
    run_id = start_ssl_run(config, store)
    first_loss = first_knn = None
    while True:
        now = time.time()
        if first_loss is None and store.last_metric(run_id, "loss") is not None:
            first_loss = now - started
        if first_knn is None and store.last_metric(run_id, "knn_acc") is not None:  # step 0 comes first
            first_knn = now - started
        run = store.get_run(run_id)
        if not run.active:
            break
        if now - started > timeout_s:
            store.request_cancel(run_id)
            break
        time.sleep(POLL_S)
    row = {"mode": mode, "condition": condition, "run_id": run_id, "status": run.status,
           "first_loss_s": first_loss, "first_knn_s": first_knn,
           "finished_s": (run.finished - started) if run.finished else None, "error": run.error}
    print(f"  {mode}, {condition}: {run.status} in {fmt(row['finished_s'])}" + (f" ({run.error})" if run.error
                                                                              else ""), flush=True)
    return row


class AppUnderLoad:
    """The app's server and a headless Chromium with the Self-supervised lab page open, for as long as the
    ``with`` block lasts. The server gets this process's environment, so it asks for the same warm worker."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> "AppUnderLoad":
        from playwright.sync_api import sync_playwright

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.folder / "streamlit.log", "ab")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true"],
            cwd=ROOT, env=dict(os.environ), stdout=self.log, stderr=subprocess.STDOUT)
        self.playwright = self.browser = None
        try:
            wait_for_health(self.url, self.server)
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                           args=CHROMIUM_ARGS)
            self.page = self.browser.new_page(viewport={"width": 1500, "height": 1000})
            self.page.goto(f"{self.url}/ssl_lab")
            # the page has drawn its controls, preview and live view: what a class sees before pressing Train
            self.page.get_by_role("button", name="▶ Train").wait_for(timeout=300_000)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def shows_run(self, run_id: str) -> bool:
        """Whether the open lab page shows the run (its live view refreshes by itself)."""
        try:
            self.page.get_by_text(f"Run {run_id}").first.wait_for(timeout=30_000)
            return True
        except Exception:  # noqa: BLE001 - a page that never showed the run is reported, not raised
            return False

    def __exit__(self, *exc) -> None:
        if self.browser:
            self.browser.close()
        if self.playwright:
            self.playwright.stop()
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, server: subprocess.Popen, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    raise RuntimeError(f"the app's server did not answer at {url}")


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def print_table(rows: list[dict], notes: list[str]) -> None:
    quiet = {row["mode"]: row for row in rows if row["condition"] == "quiet"}
    keys = [("first loss", "first_loss_s"), ("first kNN", "first_knn_s"), ("finished", "finished_s")]
    header = f"{'worker':<7} {'machine':<17}" + "".join(f"{name:>20}" for name, _ in keys)
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        cells = []
        for _, key in keys:
            cell = fmt(row[key])
            base = quiet.get(row["mode"], {}).get(key)
            if row["condition"] != "quiet" and row[key] and base:
                cell += f" (×{row[key] / base:.2f})"
            cells.append(f"{cell:>20}")
        status = "" if row["status"] == "finished" else f"  {row['status']}: {row['error']}"
        shown = "" if row.get("page_showed_run", True) else "  (the page did not show the run)"
        print(f"{row['mode']:<7} {row['condition']:<17}" + "".join(cells) + status + shown)
    for note in notes:
        print(note)
    warm = quiet.get("warm")
    if warm and warm["first_loss_s"] is not None:
        met = "met" if warm["first_loss_s"] <= TARGET_FIRST_LOSS_S else "NOT met"
        print(f"target: first loss within {TARGET_FIRST_LOSS_S:.0f} s (warm, quiet): {warm['first_loss_s']:.1f} s, "
              f"{met}")
    for row in rows:
        base = quiet.get(row["mode"], {}).get("finished_s")
        if row["condition"] != "quiet" and row["finished_s"] and base:
            ratio = row["finished_s"] / base
            met = "met" if ratio <= TARGET_LOAD_RATIO else "NOT met"
            print(f"target: finished under load within {TARGET_LOAD_RATIO}× quiet ({row['mode']}): ×{ratio:.2f}, "
                  f"{met}")


if __name__ == "__main__":
    raise SystemExit(main())
