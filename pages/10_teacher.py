"""Teacher (classroom mode): every run of the class with its owner and place in the queue; cancel, delete, share;
the class limits; the sign-in codes (roster) and recent wrong sign-ins. Every check is the engine's
(replearn_core.runs.access, replearn_core.runs.signin): a student who opens this page by its URL is refused here
and would be by each call."""

import pandas as pd
import streamlit as st

from replearn_core.runs import access
from replearn_core.runs.access import ClassroomSettings
from ui.classroom import current_user, limits_form, sign_in_panel
from ui.common import get_store
from ui.i18n import error_t, t
from ui.routing import use_app_navigation
from ui.uploads import quota_form

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title(t("teacher.title"))
if not ClassroomSettings.from_env().enabled:
    st.info(t("teacher.classroom_off"))
    st.stop()
user = current_user()  # the sign-in form until someone signs in
if user.role != "teacher":
    st.error(t("teacher.only"), icon="🔒")
    st.stop()
store = get_store()

st.header(t("teacher.runs"))
rows = access.overview(store, user)
if not rows:
    st.info(t("teacher.empty"))
else:
    COLUMNS = ["id", "owner", "kind", "method", "dataset", "status", "position", "shared"]
    frame = pd.DataFrame(rows)
    frame["owner"] = [t("teacher.reference_owner") if r["reference"] else r["owner"] or t("teacher.owner_none")
                      for r in rows]
    frame["status"] = frame["status"].map(lambda s: t(f"status.{s}"))
    config = {name: st.column_config.Column(t(f"teacher.col.{name}")) for name in COLUMNS}
    config["position"] = st.column_config.NumberColumn(t("teacher.col.position"), help=t("teacher.col.position_help"))
    config["shared"] = st.column_config.CheckboxColumn(t("teacher.col.shared"))
    st.dataframe(frame[COLUMNS], hide_index=True, width="stretch", column_config=config)

    by_id = {r["id"]: r for r in rows}
    labels = {rid: f"{rid} · {r['owner'] or t('teacher.owner_none')} · {r['method'] or r['kind']}"
              for rid, r in by_id.items() if not r["reference"]}  # reference runs stay as shipped
    picked = st.multiselect(t("teacher.pick"), list(labels), format_func=labels.get, key="teacher_picked",
                            help=t("teacher.pick_help"))
    active = [rid for rid in picked if by_id[rid]["status"] in ("queued", "running")]
    ended = [rid for rid in picked if rid not in active]
    cols = st.columns(4)

    def act(action, run_ids, **kwargs):
        try:
            for rid in run_ids:
                action(store, user, rid, **kwargs)
        except (PermissionError, KeyError, ValueError) as exc:
            st.error(t("teacher.cannot", detail=error_t(exc)))
            return
        st.toast(t("teacher.done", n=len(run_ids)))
        st.rerun()

    if active and cols[0].button(t("teacher.cancel", n=len(active)), help=t("teacher.cancel_help")):
        act(access.cancel, active)
    if ended:
        confirm = cols[1].checkbox(t("teacher.confirm_delete", n=len(ended)), help=t("teacher.confirm_delete_help"))
        if cols[1].button(t("teacher.delete"), disabled=not confirm, help=t("teacher.delete_help")):
            st.session_state.pop("teacher_picked", None)
            act(access.delete, ended)
    to_share = [rid for rid in picked if not by_id[rid]["shared"]]
    to_unshare = [rid for rid in picked if by_id[rid]["shared"]]
    if to_share and cols[2].button(t("teacher.share", n=len(to_share)), help=t("teacher.share_help")):
        act(access.share, to_share)
    if to_unshare and cols[3].button(t("teacher.unshare", n=len(to_unshare)), help=t("teacher.unshare_help")):
        act(access.share, to_unshare, shared=False)

st.header(t("teacher.limits"))
limits = ClassroomSettings.from_env(root=store.root)  # the saved limits, else the environment's
every = t("teacher.all_backbones")
st.caption(t("teacher.limits_now", runs=limits.max_active_runs, epochs=limits.max_epochs or t("teacher.no_epoch_limit"))
           + " " + t("teacher.limits_backbones", backbones=", ".join(limits.allowed_backbones) or every))
limits_form(store, user, limits)

st.subheader(t("teacher.student_limits"), help=t("teacher.student_limits_help"))
students = sorted({r["owner"] for r in rows if r["owner"] and not r["reference"]} | set(dict(limits.students)))
student = st.selectbox(t("teacher.student"), students, help=t("teacher.student_help")) if students else None
if student is None:
    st.caption(t("teacher.no_students"))
else:
    own = dict(limits.students).get(student)
    st.caption(t("teacher.student_now", name=student, runs=own.max_active_runs,
                 epochs=own.max_epochs or t("teacher.no_epoch_limit"),
                 backbones=", ".join(own.allowed_backbones) or every) if own else t("teacher.student_class", name=student))
    limits_form(store, user, limits, student)

quota_form(store, user)  # each student's upload quota, and their use

st.header(t("teacher.sign_ins"))
sign_in_panel(user)  # the roster of sign-in codes and the recent wrong tries
