"""Who is at this browser: the local user out of the box; in classroom mode a signed-in student or the teacher.

Pages call :func:`current_user` first and pass the user to the engine (``replearn_core.runs.access``), which
decides what they see and may change. The browser keeps the user for its session and in the URL (``?me=``, a
token signed by the server), so a reload does not ask again.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.runs import access
from replearn_core.runs.access import LOCAL, ClassroomSettings, User
from ui.i18n import error_t, t

_KEY = "replearn_user"
PARAM = "me"


def current_user() -> User:
    """The user of this browser session; in classroom mode a sign-in form stops the page until they sign in."""
    settings = ClassroomSettings.from_env()
    if not settings.enabled:
        return LOCAL
    from replearn_core.paths import data_dir

    secret = access.classroom_secret(data_dir())
    user = st.session_state.get(_KEY)
    if user is None and st.query_params.get(PARAM):
        user = access.read_token(st.query_params[PARAM], secret)
    if user is not None:
        st.session_state[_KEY] = user
        st.query_params[PARAM] = access.issue_token(user, secret)  # kept over a reload and in a bookmark
        with st.sidebar:
            st.caption(t("classroom.signed_in", name=user.name, role=t(f"role.{user.role}")))
            if st.button(t("classroom.sign_out"), key="sign_out", help=t("classroom.sign_out_help")):
                st.session_state.pop(_KEY, None)
                st.query_params.pop(PARAM, None)
                st.rerun()
        return user
    _sign_in_form(settings, secret)
    st.stop()


def _sign_in_form(settings: ClassroomSettings, secret: bytes) -> None:
    st.subheader(t("classroom.title"))
    with st.form("sign_in"):
        name = st.text_input(t("classroom.name"), help=t("classroom.name_help"))
        code = st.text_input(t("classroom.code"), type="password", help=t("classroom.code_help"))
        teacher = st.text_input(t("classroom.teacher"), type="password", help=t("classroom.teacher_help"))
        submitted = st.form_submit_button(t("classroom.sign_in"), type="primary")
    if submitted:
        try:
            user = access.sign_in(name, code, teacher or None, settings)
        except ValueError as exc:
            st.error(error_t(exc))
            return
        st.session_state[_KEY] = user
        st.query_params[PARAM] = access.issue_token(user, secret)
        st.rerun()


def queue_note(store, run) -> None:
    """Under a queued run: its place in the queue and, once runs of the kinds ahead have finished here, about
    when it starts (the engine's estimate: median durations of finished runs)."""
    if run.status != "queued":
        return
    spot = access.queue_spot(store, run.id)
    if spot is None:
        return
    if spot.wait_s is None:
        st.caption(t("queue.position", position=spot.position))
    else:
        st.caption(t("queue.position_eta", position=spot.position, minutes=max(1, round(spot.wait_s / 60))))


def cancel_button(store, user: User, run, help_text: str) -> None:
    """A Cancel button under an active run the user may change (the engine checks again)."""
    if run.active and access.can_change(user, run) and st.button(t("common.cancel"), key=f"cancel_{run.id}",
                                                                  help=help_text):
        access.cancel(store, user, run.id)
        st.toast(t("common.cancel_requested"))
