"""Uploads on the pages: a student's own files (their use of the quota, delete), the teacher's quota form.

The checks are the engine's (replearn_core.uploads): a student can list and delete only their own uploads,
and only the teacher can set the quota.
"""

from __future__ import annotations

import streamlit as st

from replearn_core import uploads
from replearn_core.escape import markdown_text
from replearn_core.runs.access import User
from ui.i18n import error_t, t


def _mb(size: int) -> str:
    return f"{size / uploads.MB:,.1f}"


def my_uploads(store, user: User) -> None:
    """The user's uploads, with how much of their quota they use, and a delete button for each."""
    files = uploads.list_uploads(store, user)
    used, quota = sum(f.size for f in files), uploads.quota_bytes(store, user)
    title = t("uploads.mine", used=_mb(used), quota=_mb(quota)) if quota is not None \
        else t("uploads.mine_no_quota", used=_mb(used))
    with st.expander(title):
        if not files:
            st.caption(t("uploads.none"))
        for i, upload in enumerate(files):
            name, delete = st.columns([4, 1])
            name.text(t("uploads.file", name=upload.name, size=_mb(upload.size)))  # text: never read as markup
            if delete.button(t("uploads.delete"), key=f"delete_upload_{i}_{upload.name}",
                             help=t("uploads.delete_help")):
                try:
                    uploads.delete_upload(store, user, upload.name)
                except (PermissionError, ValueError) as exc:
                    st.error(error_t(exc))
                    return
                st.toast(t("uploads.deleted", name=markdown_text(upload.name)))
                st.rerun()


def quota_form(store, user: User) -> None:
    """The teacher's upload quota (MB per student) and every student's use."""
    st.subheader(t("uploads.quota_title"), help=t("uploads.quota_help"))
    current = uploads.class_quota_mb(store)
    st.caption(t("uploads.quota_now", quota=current))
    with st.form("upload_quota"):
        quota = st.number_input(t("uploads.quota"), 0, uploads.MAX_QUOTA_MB, current, help=t("uploads.quota_help"))
        saved = st.form_submit_button(t("uploads.quota_save"), type="primary", help=t("uploads.quota_save_help"))
    if saved:
        try:
            uploads.save_quota(store, user, int(quota))
        except (PermissionError, ValueError) as exc:
            st.error(error_t(exc))
            return
        st.toast(t("uploads.quota_saved", quota=int(quota)))
        st.rerun()
    try:
        use = uploads.class_use(store, user)
    except PermissionError as exc:
        st.error(error_t(exc))
        return
    if not use:
        st.caption(t("uploads.none_in_class"))
        return
    st.dataframe([{t("uploads.col.student"): folder, t("uploads.col.used"): round(size / uploads.MB, 1)}
                  for folder, size in use.items()], hide_index=True)
