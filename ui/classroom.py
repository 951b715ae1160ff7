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


def limits_form(store, user: User, settings: ClassroomSettings, student: str | None = None) -> None:
    """The teacher's form for the class's limits, or with ``student`` for one student's own (engine checks:
    ``access.save_limits`` refuses anyone but the teacher)."""
    from replearn_core.backbones import BACKBONES

    limits = settings.limits_for(student) if student else settings.class_limits
    with st.form(f"limits_{student or 'class'}"):
        runs = st.number_input(t("teacher.max_active"), 1, 100, limits.max_active_runs, help=t("teacher.max_active_help"))
        epochs = st.number_input(t("teacher.max_epochs"), 0, 10_000, limits.max_epochs, help=t("teacher.max_epochs_help"))
        backbones = st.multiselect(t("teacher.allowed_backbones"), list(BACKBONES), list(limits.allowed_backbones),
                                   help=t("teacher.allowed_backbones_help"))
        label = t("teacher.save_student", name=student) if student else t("teacher.save_limits")
        saved = st.form_submit_button(label, type="primary",
                                      help=t("teacher.save_student_help" if student else "teacher.save_limits_help"))
    cleared = bool(student) and student in dict(settings.students) and st.button(
        t("teacher.clear_student"), help=t("teacher.clear_student_help"))
    if saved or cleared:
        try:
            if cleared:
                access.clear_student_limits(store, user, student)
            else:
                access.save_limits(store, user, int(runs), int(epochs), backbones, student=student)
        except (PermissionError, ValueError) as exc:
            st.error(t("teacher.cannot", detail=error_t(exc)))
            return
        st.toast(t("teacher.saved"))  # a toast outlives the rerun that shows the new limits
        st.rerun()
