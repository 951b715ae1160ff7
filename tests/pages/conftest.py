"""The pages' tests: each drives one page in Streamlit's AppTest, as a student would click it.

Shared here: :func:`page` opens a page, :func:`wait_for_status` polls a queued run until the worker has moved
it on, and :func:`cancel_and_wait` stops what a test queued before its data folder goes away.
"""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
ACTIVE = ("queued", "running")


def page(path: str, timeout: float = 90) -> AppTest:
    """The page at ``path`` (relative to the project, ``pages/1_ssl_lab.py``), not yet run."""
    return AppTest.from_file(str(ROOT / path), default_timeout=timeout)


def wait_for_status(store, run_id: str, leaving: tuple[str, ...] = ("queued",), seconds: float = 60) -> str:
    """Poll the store until run ``run_id`` is no longer in one of ``leaving`` (or ``seconds`` pass); its status."""
    deadline = time.time() + seconds
    while time.time() < deadline and store.get_run(run_id).status in leaving:
        time.sleep(0.5)
    return store.get_run(run_id).status


def cancel_and_wait(store, runs, seconds: float = 60) -> list[str]:
    """Cancel ``runs`` (ids or runs) and wait until the worker has stopped them; their statuses."""
    ids = [getattr(run, "id", run) for run in runs]
    for run_id in ids:
        store.request_cancel(run_id)
    return [wait_for_status(store, run_id, ACTIVE, seconds) for run_id in ids]


def worker_takes_and_cancel(store, run_id: str) -> None:
    """A queued run is picked up by a worker without the page doing anything, then cancelled and stopped."""
    assert wait_for_status(store, run_id) in ("running", "finished")
    assert cancel_and_wait(store, [run_id])[0] in ("cancelled", "finished")


def choose_missing_folder(at: AppTest, picker: str, folder, click: bool = True) -> list[str]:
    """In the sidebar's dataset picker labelled ``picker``, choose a folder and type ``folder`` (one that does not
    exist), then press the page's first button (train, compare) unless ``click`` is False: the errors shown."""
    next(s for s in at.sidebar.selectbox if s.label == picker).set_value("folder:…").run()
    at.sidebar.text_input[0].set_value(str(folder)).run()
    if click:
        at.button[0].click().run()
    assert not at.exception
    return [e.value for e in at.error]
