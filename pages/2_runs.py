"""Runs: every run in the data folder; overlay curves, cancel, delete, download checkpoints."""

import streamlit as st

from replearn_core.escape import markdown_text
from replearn_core.plots import overlay_figure
from replearn_core.runs import access
from replearn_core.runs.listing import run_rows
from ui.common import live_fragment, refresh_seconds
from ui.i18n import how_to_read, msg_t, t
from ui.links import linked_ids
from ui.panels import open_page
from ui.presets import preset_index
from ui.runs_table import runs_frame

# classroom mode: a student sees their own, shared and reference runs only
page = open_page("runs.title", warm_worker=False)
lang, user, store = page.lang, page.user, page.store
if store.read_only is not None:  # the data folder cannot be written: runs are listed, nothing can change
    st.warning(t("runs.read_only", reason=msg_t(store.read_only)), icon="🔒")
for problem in store.reference_problems:
    st.warning(problem, icon="📌")


@live_fragment(run_every=refresh_seconds())
def runs_table():
    rows = run_rows(store, access.list_runs(store, user))
    if not rows:
        st.info(t("runs.empty"))
        st.session_state["runs_selected"] = []
        return
    frame, config = runs_frame(rows)
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                         key="runs_table", column_config=config)
    how_to_read("runs_table")
    damaged = [row for row in rows if row["damage"]]  # a damaged record is listed with what is wrong, not a traceback
    if damaged:
        st.warning("\n".join([t("runs.damaged", n=len(damaged)), ""] + [f"- {markdown_text(msg_t(d))}"
                                                                       for row in damaged for d in row["damage"]]),
                   icon="🩹")
    picked = [rows[i]["id"] for i in event.selection.rows]
    # no rows picked: the runs a link names (?run=<id>,<id>, as a lesson opens this page) are the selection
    known = {row["id"] for row in rows}
    st.session_state["runs_selected"] = picked or [rid for rid in linked_ids() if rid in known]


runs_table()
# every run read below comes through the access gate: a selection never reaches a run the user may not see
runs = access.get_runs(store, user, st.session_state.get("runs_selected", []))
selected = list(runs)
st.caption(t("runs.select_hint"))
if selected:
    metrics = {rid: access.run_metrics(store, user, rid) for rid in selected}
    metric_keys = sorted({k for rid in selected for k in metrics[rid]})
    default = "knn_acc" if "knn_acc" in metric_keys else (metric_keys[0] if metric_keys else None)
    if metric_keys:
        key = st.selectbox(t("runs.metric"), metric_keys,
                           index=preset_index("metric", metric_keys, metric_keys.index(default)),
                           help=t("runs.metric_help"))
        smooth = st.toggle(t("runs.smooth"), key == "loss", help=t("runs.smooth_help"))
        labels = {rid: f"{rid} {runs[rid].config.get('method', '')}" for rid in selected}
        st.plotly_chart(overlay_figure(store, selected, key, labels, smooth, lang=lang), width="stretch")
        how_to_read("overlay")
    cols = st.columns(3)
    mine = [rid for rid in selected if access.can_change(user, runs[rid])]  # the engine checks again
    active = [rid for rid in mine if runs[rid].active]
    if active and cols[0].button(t("runs.cancel", n=len(active)), help=t("runs.cancel_help")):
        for rid in active:
            access.cancel(store, user, rid)
        st.toast(t("common.cancel_requested"))
    reference = [rid for rid in selected if runs[rid].reference]
    if reference:
        cols[1].caption(t("runs.reference_readonly", runs=", ".join(reference)))
    done = [rid for rid in mine if not runs[rid].active and rid not in reference]
    if done:
        confirm = cols[1].checkbox(t("runs.confirm_delete", n=len(done)), help=t("runs.confirm_delete_help"))
        if cols[1].button(t("runs.delete"), disabled=not confirm, help=t("runs.delete_help")):
            for rid in done:
                access.delete(store, user, rid)
            st.session_state["runs_selected"] = []
            st.rerun()
    for rid in selected[:3]:
        checkpoints = access.run_artifacts(store, user, rid, kind="checkpoint")
        if checkpoints and checkpoints[-1].path.exists():
            last = checkpoints[-1]
            cols[2].download_button(f"⬇ {rid} {last.name}", last.path.read_bytes(), file_name=f"{rid}_{last.name}.safetensors",
                                    help=t("runs.download_help"), key=f"dl_{rid}", on_click="ignore")
    for rid, run in runs.items():
        if run.error:
            st.error(f"{rid}: {markdown_text(msg_t(run.error))}")
        for warning in run.warnings:
            st.warning(f"{rid}: {markdown_text(msg_t(warning))}", icon="⚠️")
