"""Panels that several pages compose: the live-run panel (status, progress, error, warnings, queue, Cancel)."""

from __future__ import annotations

import streamlit as st

from replearn_core.runs.access import User
from ui.classroom import cancel_button, queue_note
from ui.i18n import msg_t, t


def shown_run(store, user: User, kind: str, state_key: str, linked_id: str | None = None):
    """The run a page's live view shows: the one started from this page in this session (``state_key``), else
    a linked one (``?run=``), else the user's newest of ``kind``; None when there is none. A run deleted
    meanwhile (from the Runs page, by the teacher) falls back to the newest, not an error."""
    from replearn_core.runs.access import latest_run
    from replearn_core.runs.store import RunNotFound

    for run_id in (st.session_state.get(state_key), linked_id):
        if run_id:
            try:
                return store.get_run(run_id)
            except RunNotFound:
                continue
    return latest_run(store, user, kind)


def run_status(store, user: User, run, cancel_help: str) -> None:
    """Under a run's header: a progress bar that says its status, last message and device; its error and
    warnings; its place in the queue while queued; and Cancel for a user who may cancel it."""
    st.progress(run.progress, text=t("lab.progress", status=t(f"status.{run.status}"), message=run.message or "",
                                     device=run.device or "?"))
    if run.error:
        st.error(msg_t(run.error))
    for warning in run.warnings:
        st.warning(msg_t(warning), icon="⚠️")
    queue_note(store, run)  # queued: its place and about when it starts
    cancel_button(store, user, run, cancel_help)


def method_card(title: str, summary: str, formula: str, paper: str = "") -> None:
    """A method's card: its name, what it does in two or three sentences, its loss and where it comes from."""
    st.subheader(title)
    st.markdown(summary)
    st.latex(formula)
    if paper:
        st.caption(paper)
