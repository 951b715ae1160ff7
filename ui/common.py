"""Widgets and cached resources shared by the pages. Nothing here computes: it only draws and caches."""

from __future__ import annotations

import functools
import os

import streamlit as st

from replearn_core.runs.reference import open_store
from replearn_core.runs.store import Run, RunStore
from replearn_core.storage_errors import StoreUnavailable
from ui.i18n import error_t, t


@st.cache_resource
def _store_for(root: str) -> RunStore:
    return open_store(root)  # the shipped reference runs registered: listed from the first start


def get_store() -> RunStore:
    """The run store of the current data folder, one connection per server process."""
    from replearn_core.paths import data_dir

    return _store_for(str(data_dir()))


def run_label(run: Run, status: bool = True) -> str:
    """``<id> · <method> · <dataset> · <backbone> · <status>``; a reference run is marked after its id.

    Without ``status`` the label stays the same while the run goes on: a widget that keeps its choice across
    reruns (one with a key) must not see its options' labels change.
    """
    cfg = run.config
    bits = [reference_mark(run) if run.reference else None, cfg.get("method") or run.kind, cfg.get("dataset"),
            cfg.get("backbone"), t(f"status.{run.status}") if status else None]
    return f"{run.id} · " + " · ".join(str(b) for b in bits if b)


def reference_mark(run: Run) -> str:
    """``📌 reference · 75 epochs · 2 min`` in the page's language (replearn_core.runs.reference.reference_note
    is the command line's English)."""
    s = run.summary or {}
    bits = [t("common.reference_mark")]
    if s.get("epochs_done"):
        bits.append(t("common.epoch_done" if s["epochs_done"] == 1 else "common.epochs_done", n=s["epochs_done"]))
    if s.get("train_time_s"):
        bits.append(t("common.minutes", n=f"{s['train_time_s'] / 60:.0f}") if s["train_time_s"] >= 60
                    else t("common.seconds", n=f"{s['train_time_s']:.0f}"))
    return " · ".join(bits)


def pick_runs(label: str, runs: list[Run], max_selections: int | None = None, key: str | None = None,
              help: str | None = None) -> list[Run]:
    by_label = {run_label(r): r for r in runs}
    chosen = st.multiselect(label, list(by_label), max_selections=max_selections, key=key, help=help)
    return [by_label[c] for c in chosen]


def refresh_seconds() -> float:
    """How often live views refresh (REPLEARN_REFRESH_S, default 2 s)."""
    return float(os.environ.get("REPLEARN_REFRESH_S", "2"))


def live_fragment(run_every: float | None = None):
    """``st.fragment(run_every=...)`` for a live view, showing a storage failure as its message.

    A fragment's timed reruns run the fragment alone, outside app.py's ``try``: without this, a full disk or a
    database locked by another program met while refreshing would show a traceback instead of what to do.
    """
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except StoreUnavailable as exc:
                st.error(error_t(exc), icon="💾")

        return st.fragment(run_every=run_every)(guarded)

    return decorate


def keep_worker_warm() -> None:
    """Ask for the data folder's warm worker (started if none is alive, its idle clock restarted), so that a
    Train pressed on this page finds torch imported and the built-in datasets drawn. Never fails the page;
    does nothing with ``REPLEARN_WARM_WORKER=0``."""
    from replearn_core.runs.warm import keep_warm

    keep_warm()
