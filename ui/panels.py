"""Panels that several pages compose, written once: the page's opening, the Train button, the live-run panel
(status, progress, error, warnings, queue, Cancel, then the page's own charts) and the method card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import streamlit as st

from replearn_core.cards import Card
from replearn_core.data import DatasetError
from replearn_core.escape import markdown_text
from replearn_core.i18n import translate_or
from replearn_core.runs import access
from replearn_core.runs.access import User
from replearn_core.runs.store import RunNotFound, RunStore
from ui.classroom import cancel_button, current_user, queue_note
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, msg_t, t
from ui.presets import lesson_banner
from ui.routing import use_app_navigation


@dataclass(frozen=True)
class Page:
    """What every page works with once it is open: the reader's language, who they are and the run store."""

    lang: str
    user: User
    store: RunStore


def open_page(title_key: str, caption: str | None = None, warm_worker: bool = True) -> Page:
    """A page's first lines: the app's navigation (a deep link on a fresh server reruns inside app.py's), the
    translated title and caption, a lesson's banner when a lesson opened it, the classroom sign-in (a form
    until the student gives a name), and, unless ``warm_worker`` is off, a worker that has already imported
    torch, so a Train pressed on this page starts at once."""
    use_app_navigation()
    lang = current_language()
    st.title(t(title_key))
    if caption:
        st.caption(caption)
    lesson_banner()
    user = current_user()
    store = get_store()
    if warm_worker:
        keep_worker_warm()
    return Page(lang, user, store)


def start_button(label: str, help_text: str, start: Callable[[], str | list[str]], state_key: str,
                 queued_text: str, place=st, **button_args) -> str | None:
    """A button that starts a run (or several: ``start`` returns their ids) and remembers the first in
    ``st.session_state[state_key]`` for the live panel; a refused start (bad dataset, setting, a classroom
    limit) is shown as a translated error and nothing else changes. Returns the started id, else None."""
    if not place.button(label, help=help_text, **({"type": "primary"} | button_args)):
        return None
    try:
        started = start()
    except (DatasetError, ValueError, KeyError, PermissionError) as exc:
        st.error(t("common.cannot_start", detail=error_t(exc)))
        return None
    first = started[0] if isinstance(started, list) else started
    st.session_state[state_key] = first
    st.toast(queued_text)
    return first


def shown_run(store, user: User, kind: str, state_key: str, linked_id: str | None = None):
    """The run a page's live view shows: the one started from this page in this session (``state_key``), else
    a linked one (``?run=``), else the user's newest of ``kind``; None when there is none. A run deleted
    meanwhile (from the Runs page, by the teacher) falls back to the newest, not an error."""
    for run_id in (st.session_state.get(state_key), linked_id):
        if run_id:
            try:
                return access.get_run(store, user, run_id)  # the gate: never another student's run
            except RunNotFound:
                continue
    return access.latest_run(store, user, kind)


def run_status(store, user: User, run, cancel_help: str) -> None:
    """Under a run's header: a progress bar that says its status, last message and device; its error and
    warnings; its place in the queue while queued; and Cancel for a user who may cancel it."""
    # a run's message, error and warnings may name its dataset's folders and files: shown as text, never markup
    st.progress(run.progress, text=t("lab.progress", status=t(f"status.{run.status}"),
                                     message=markdown_text(run.message or ""), device=markdown_text(run.device or "?")))
    if run.error:
        st.error(markdown_text(msg_t(run.error)))
    for warning in run.warnings:
        st.warning(markdown_text(msg_t(warning)), icon="⚠️")
    for damage in run.damage:  # a part of its stored record damaged outside the lab: it reads as empty
        st.warning(markdown_text(msg_t(damage)), icon="🩹")
    queue_note(store, run)  # queued: its place and about when it starts
    cancel_button(store, user, run, cancel_help)


def live_run(page: Page, kind: str, state_key: str, empty_text: str, header: Callable, body: Callable | None = None,
             linked_id: str | None = None, cancel_help: str | None = None) -> None:
    """The live-run panel, refreshed every few seconds: the run :func:`shown_run` picks (``empty_text`` when
    there is none), its ``header(run)``, its status and Cancel (:func:`run_status`), then ``body(run)``, the
    page's own charts. A run whose worker died is shown failed, not running forever."""
    @live_fragment(run_every=refresh_seconds())
    def live_view():
        run = shown_run(page.store, page.user, kind, state_key, linked_id)
        if run is None:
            st.info(empty_text)
            return
        if run.active and run.id in page.store.reap_dead():  # its worker process died: show it failed
            run = access.get_run(page.store, page.user, run.id)
        st.subheader(header(run))
        run_status(page.store, page.user, run, cancel_help or t("lab.cancel_help"))
        if body is not None:
            body(run)

    live_view()


def card_t(card: Card) -> Card:
    """The card in the page's language: ``<key>.title|summary|paper`` from the catalogue, the declared English
    where it has none."""
    lang = current_language()
    return replace(card, **{part: translate_or(f"{card.key}.{part}", getattr(card, part), lang)
                            for part in ("title", "summary", "paper") if getattr(card, part)})


def method_card(card: Card) -> None:
    """A method's card (any registry's: replearn_core.cards): its name, what it does in two or three sentences,
    its loss, where it comes from, and its loss function's docstring under an expander."""
    card = card_t(card)
    st.subheader(card.title)
    st.markdown(card.summary)
    if card.formula:
        st.latex(card.formula)
    if card.paper:
        st.caption(card.paper)
    if card.loss_doc:
        with st.expander(t("lab.loss_doc")):
            st.code(card.loss_doc.strip(), language="text")
