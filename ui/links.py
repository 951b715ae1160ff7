"""Runs named in a page's URL: ``/ssl_lab?run=<id>``, ``/feature_maps?run=<id>,<id>``.

A page that shows runs reads them from the URL and writes its choice back, so a reload, a bookmark or a link a
teacher sends to the class opens the page on the same runs. Streamlit keeps the query string through a reload
and through the rerun of a deep link (ui/routing.py); moving to another page clears it.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.runs import access
from replearn_core.runs.access import User
from replearn_core.runs.store import Run, RunNotFound, RunStore
from ui.i18n import t

PARAM = "run"  # the query parameter; several runs are separated by commas


def linked_ids(param: str = PARAM) -> list[str]:
    """The run ids (or other run sources a page accepts) in the URL, in order, without blanks or repeats."""
    ids = []
    for value in st.query_params.get_all(param):
        for part in value.split(","):
            if part.strip() and part.strip() not in ids:
                ids.append(part.strip())
    return ids


def linked_run(store: RunStore, user: User, kind: str | None = None, param: str = PARAM) -> Run | None:
    """The first run the URL names, if this user may see it (and it is of ``kind``); a link to a run that is not
    here, or that is another student's, says the same "not in this lab" on the page and gives None: the
    access gate answers both alike, so a link cannot tell a classmate's run from a made-up id."""
    for run_id in linked_ids(param)[:1]:
        try:
            run = access.get_run(store, user, run_id)
        except RunNotFound:
            st.warning(t("links.missing_run", run_id=run_id), icon="🔗")
            return None
        if kind and run.kind != kind:
            st.warning(t("links.wrong_kind", run_id=run_id, kind=run.kind, wanted=kind), icon="🔗")
            return None
        return run
    return None


def link_runs(ids: list[str], param: str = PARAM) -> None:
    """Name these runs in the URL (none: remove the parameter). Written only when it changes; writing does not
    rerun the page."""
    value = ",".join(ids)
    if value == ",".join(linked_ids(param)):
        return
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
