"""Who is at this browser: the local user out of the box; in classroom mode a signed-in student or the teacher.

Pages call :func:`current_user` first and pass the user to the engine (``replearn_core.runs.access``), which
decides what they see and may change. The browser keeps the user for its session and in the URL (``?me=``, a
token signed by the server), so a reload does not ask again.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.runs import access
from replearn_core.runs.access import LOCAL, ClassroomSettings, User

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
            st.caption(f"Signed in as **{user.name}** ({user.role})")
            if st.button("Sign out", key="sign_out", help="Forget who is at this browser."):
                st.session_state.pop(_KEY, None)
                st.query_params.pop(PARAM, None)
                st.rerun()
        return user
    _sign_in_form(settings, secret)
    st.stop()


def _sign_in_form(settings: ClassroomSettings, secret: bytes) -> None:
    st.subheader("Sign in to the class")
    with st.form("sign_in"):
        name = st.text_input("Your name", help="Your runs are listed under this name; others cannot change them.")
        code = st.text_input("Class code", type="password", help="The code your teacher gave the class.")
        teacher = st.text_input("Teacher password (teachers only)", type="password",
                                help="Leave empty as a student. The teacher sees and manages every run.")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = access.sign_in(name, code, teacher or None, settings)
        except ValueError as exc:
            st.error(str(exc))
            return
        st.session_state[_KEY] = user
        st.query_params[PARAM] = access.issue_token(user, secret)
        st.rerun()
