"""Widgets and cached resources shared by the pages. Nothing here computes: it only draws and caches."""

from __future__ import annotations

import os

import streamlit as st

from replearn_core.runs.store import Run, RunStore


@st.cache_resource
def _store_for(root: str) -> RunStore:
    return RunStore(root)


def get_store() -> RunStore:
    """The run store of the current data folder, one connection per server process."""
    from replearn_core.paths import data_dir

    return _store_for(str(data_dir()))


def run_label(run: Run) -> str:
    """``<id> · <method> · <dataset> · <backbone> · <status>``; a reference run is marked after its id."""
    from replearn_core.runs.reference import reference_note

    cfg = run.config
    bits = [reference_note(run) if run.reference else None, cfg.get("method") or run.kind, cfg.get("dataset"),
            cfg.get("backbone")]
    return f"{run.id} · " + " · ".join(str(b) for b in bits if b) + f" · {run.status}"


def pick_runs(label: str, runs: list[Run], max_selections: int | None = None, key: str | None = None,
              help: str | None = None) -> list[Run]:
    by_label = {run_label(r): r for r in runs}
    chosen = st.multiselect(label, list(by_label), max_selections=max_selections, key=key, help=help)
    return [by_label[c] for c in chosen]


def refresh_seconds() -> float:
    """How often live views refresh (REPLEARN_REFRESH_S, default 2 s)."""
    return float(os.environ.get("REPLEARN_REFRESH_S", "2"))
