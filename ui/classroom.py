"""Who is at this browser: the local user out of the box; in classroom mode a signed-in student or the teacher.

Pages call :func:`current_user` first and pass the user to the engine (``replearn_core.runs.access``), which
decides what they see and may change. Who someone is comes from the engine's sign-ins
(``replearn_core.runs.signin``): the school's identity provider through Streamlit's ``st.login`` (``[auth]`` in
``.streamlit/secrets.toml``), a sign-in code from the teacher's roster, or the teacher password.

Nothing of it travels in a URL. A code or password sign-in is a server-side session whose random id the browser
keeps in a cookie (``replearn_session``, SameSite=Strict; Secure over https) and this Streamlit session in its
state; every page run asks the server again who that id is, so signing out in one tab signs out the others at
their next run, and an expired session asks again. A provider sign-in is Streamlit's own signed cookie, held to
the same lifetime and sign-out by the engine.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from replearn_core.escape import script_json
from replearn_core.runs import access
from replearn_core.runs.access import LOCAL, ClassroomSettings, User
from replearn_core.runs.signin import SignIns, SignInSettings, client_of, codes_csv
from ui.i18n import error_t, t

SESSION_KEY = "replearn_session"  # session state: the id of this browser's sign-in session
COOKIE = "replearn_session"  # the browser's cookie with the same id, for a reload and for new tabs
_ENDED_KEY = "replearn_session_ended"  # session state: the id this tab signed out of (its cookie is cleared)
_NEW_CODES_KEY = "replearn_new_codes"  # session state: codes the teacher just issued, shown until hidden


def sign_ins() -> SignIns:
    """The data folder's sign-ins under this server's settings (a bad REPLEARN_SESSION_HOURS stops the page,
    saying so)."""
    from replearn_core.paths import data_dir

    try:
        settings = SignInSettings.from_env()
    except ValueError as exc:
        st.error(error_t(exc))
        st.stop()
    return SignIns(data_dir(), settings)


def current_user() -> User:
    """The user of this browser session; in classroom mode a sign-in form stops the page until they sign in."""
    settings = ClassroomSettings.from_env()
    if not settings.enabled:
        return LOCAL
    signins = sign_ins()
    user, session_id, refused = _who(signins)
    if user is not None:
        _signed_in_sidebar(signins, user, session_id)
        return user
    _sign_in_page(signins, settings, refused)
    st.stop()


def _who(signins: SignIns):
    """(user, session id or None for a provider sign-in, why a provider sign-in was refused)."""
    session_id = st.session_state.get(SESSION_KEY) or st.context.cookies.get(COOKIE)
    user = signins.user_of(session_id)
    if user is not None:
        st.session_state[SESSION_KEY] = session_id
        return user, session_id, None
    st.session_state.pop(SESSION_KEY, None)
    if providers() and st.user.is_logged_in:
        try:
            return signins.provider_user(st.user.to_dict()), None, None
        except ValueError as exc:
            return None, None, exc
    return None, None, None


def providers() -> list[str | None]:
    """The identity providers of ``[auth]`` in secrets.toml: None for the unnamed one, else their names."""
    try:
        from streamlit.auth_util import get_secrets_auth_section

        auth = get_secrets_auth_section()
    except Exception:  # noqa: BLE001 - an unreadable secrets file is no provider (Streamlit says why in its log)
        return []
    if not auth:
        return []
    found: list[str | None] = [None] if auth.get("client_id") else []
    return found + [name for name, value in auth.items() if hasattr(value, "get") and value.get("client_id")]


def _signed_in_sidebar(signins: SignIns, user: User, session_id: str | None) -> None:
    with st.sidebar:
        st.caption(t("classroom.signed_in", name=user.name, role=t(f"role.{user.role}")))
        if st.button(t("classroom.sign_out"), key="sign_out", help=t("classroom.sign_out_help")):
            if session_id is None:
                signins.provider_signed_out(user.name)  # every tab's provider sign-in ends here too
                st.logout()
                st.stop()
            signins.end_session(session_id)
            st.session_state.pop(SESSION_KEY, None)
            st.session_state[_ENDED_KEY] = session_id
            st.rerun()
        if session_id is not None and st.context.cookies.get(COOKIE) != session_id:
            _cookie_script(f"document.cookie = {script_json(f'{COOKIE}={session_id}')} + "
                           f"'; Path=/; Max-Age={int(signins.settings.session_s)}; SameSite=Strict' + secure;")


def _cookie_script(body: str) -> None:
    """Run a line of script on the cookie (the id is the server's own random text, never a user's)."""
    st.html("<script>(() => { const secure = location.protocol === 'https:' ? '; Secure' : ''; "
            f"{body} }})();</script>", unsafe_allow_javascript=True, width="content")


def _forget_cookie() -> None:
    """On the sign-in page: a cookie that holds an ended session is cleared (only if it still holds that one)."""
    ended = st.session_state.get(_ENDED_KEY) or st.context.cookies.get(COOKIE)
    if ended:
        held = script_json(f"{COOKIE}={ended}")  # a cookie is the browser's text: escaped
        _cookie_script(f"if (document.cookie.split('; ').includes({held})) "
                       f"document.cookie = '{COOKIE}=; Path=/; Max-Age=0; SameSite=Strict' + secure;")


def _client(signins: SignIns) -> str:
    return client_of(st.context.ip_address, st.context.headers.get("X-Forwarded-For"), signins.settings.trust_proxy)


def _sign_in_page(signins: SignIns, settings: ClassroomSettings, refused: BaseException | None) -> None:
    st.subheader(t("classroom.title"))
    _forget_cookie()
    if refused is not None:
        st.warning(error_t(refused))
        if st.user.is_logged_in and st.button(t("classroom.provider_sign_out"), key="provider_sign_out",
                                              help=t("classroom.provider_sign_out_help")):
            st.logout()  # Streamlit's cookie of the refused or ended account, so another can sign in
            st.stop()
    found = providers()
    for provider in found:
        label = t("classroom.provider_sign_in") if provider is None else t("classroom.provider_sign_in_named",
                                                                            provider=provider)
        if st.button(label, key=f"login_{provider or 'default'}", type="primary",
                     help=t("classroom.provider_sign_in_help")):
            st.login(provider)
            st.stop()
    if not found or signins.has_roster():
        if found:
            st.caption(t("classroom.or_code"))
        with st.form("sign_in"):
            name = st.text_input(t("classroom.name"), help=t("classroom.name_help"))
            code = st.text_input(t("classroom.code"), type="password", help=t("classroom.code_help"))
            submitted = st.form_submit_button(t("classroom.sign_in"), type="primary")
        if submitted:
            _start(lambda: signins.sign_in_with_code(name, code, _client(signins)))
    if settings.teacher_password_hash:
        with st.expander(t("classroom.teacher_title")), st.form("teacher_sign_in"):
            name = st.text_input(t("classroom.teacher_name"), help=t("classroom.teacher_name_help"))
            password = st.text_input(t("classroom.teacher"), type="password", help=t("classroom.teacher_help"))
            submitted = st.form_submit_button(t("classroom.sign_in_teacher"))
        if submitted:
            _start(lambda: signins.sign_in_as_teacher(name, password, _client(signins), settings))
    elif not found:
        st.info(t("classroom.no_teacher_way"))


def _start(sign_in) -> None:
    try:
        _, session_id = sign_in()
    except ValueError as exc:
        st.error(error_t(exc))
        return
    st.session_state[SESSION_KEY] = session_id
    st.session_state.pop(_ENDED_KEY, None)
    st.rerun()


def sign_in_panel(user: User) -> None:
    """The Teacher page's sign-ins: the roster of codes (add names, revoke, reissue; new codes shown once, to
    print or download) and the recent wrong codes and passwords. Every call is the engine's, which refuses
    anyone but the teacher."""
    import pandas as pd

    signins = sign_ins()
    st.subheader(t("teacher.roster"), help=t("teacher.roster_help"))
    with st.form("roster_add", clear_on_submit=True):
        names = st.text_area(t("teacher.roster_names"), help=t("teacher.roster_names_help"))
        added = st.form_submit_button(t("teacher.roster_add"), type="primary", help=t("teacher.roster_add_help"))
    if added:
        try:
            _show_codes(signins.add_students(user, names.splitlines()))
        except (PermissionError, ValueError) as exc:
            st.error(t("teacher.cannot", detail=error_t(exc)))
    new = st.session_state.get(_NEW_CODES_KEY)
    if new:
        st.warning(t("teacher.codes_once"), icon="🔑")
        st.table(pd.DataFrame({t("teacher.col.name"): list(new), t("teacher.col.code"): list(new.values())}))
        cols = st.columns(2)
        cols[0].download_button(t("teacher.codes_csv"), codes_csv(new), "sign-in-codes.csv", "text/csv",
                                on_click="ignore", help=t("teacher.codes_csv_help"))
        if cols[1].button(t("teacher.codes_hide"), help=t("teacher.codes_hide_help")):
            st.session_state.pop(_NEW_CODES_KEY, None)
            st.rerun()

    rows = signins.roster(user)
    if not rows:
        st.caption(t("teacher.roster_empty"))
    else:
        st.dataframe(pd.DataFrame({
            t("teacher.col.name"): [r["name"] for r in rows],
            t("teacher.col.issued"): [_when(r["issued"]) for r in rows],
            t("teacher.col.code_state"): [t("teacher.code_revoked") if r["revoked"] else t("teacher.code_active")
                                          for r in rows],
            t("teacher.col.signed_in"): [r["signed_in"] for r in rows]}), hide_index=True, width="stretch")
        picked = st.multiselect(t("teacher.roster_pick"), [r["name"] for r in rows], key="roster_picked",
                                help=t("teacher.roster_pick_help"))
        cols = st.columns(2)
        try:
            if picked and cols[0].button(t("teacher.reissue", n=len(picked)), help=t("teacher.reissue_help")):
                _show_codes({name: signins.reissue(user, name) for name in picked})
                st.rerun()
            if picked and cols[1].button(t("teacher.revoke", n=len(picked)), help=t("teacher.revoke_help")):
                for name in picked:
                    signins.revoke(user, name)
                st.toast(t("teacher.revoked_n", n=len(picked)))
                st.rerun()
        except (PermissionError, ValueError) as exc:
            st.error(t("teacher.cannot", detail=error_t(exc)))

    st.subheader(t("teacher.failures"), help=t("teacher.failures_help"))
    failures = signins.recent_failures(user, limit=50)
    if not failures:
        st.caption(t("teacher.no_failures"))
    else:
        st.dataframe(pd.DataFrame({
            t("teacher.col.when"): [_when(f["at"]) for f in failures],
            t("teacher.col.client"): [f["client"] for f in failures],
            t("teacher.col.name"): [f["name"] for f in failures],
            t("teacher.col.failure_kind"): [t(f"teacher.failure.{f['kind']}") for f in failures]}),
            hide_index=True, width="stretch")


def _show_codes(codes: dict[str, str]) -> None:
    st.session_state[_NEW_CODES_KEY] = {**st.session_state.get(_NEW_CODES_KEY, {}), **codes}


def _when(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s).strftime("%Y-%m-%d %H:%M")


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
