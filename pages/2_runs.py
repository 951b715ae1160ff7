"""Runs: every run in the data folder; overlay curves, cancel, delete, download checkpoints."""

import pandas as pd
import streamlit as st

from replearn_core.commands.runs import run_rows
from replearn_core.plots import overlay_figure
from ui.common import get_store, live_fragment, refresh_seconds
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("📋 Runs")
store = get_store()
for problem in store.reference_problems:
    st.warning(problem, icon="📌")


@live_fragment(run_every=refresh_seconds())
def runs_table():
    rows = run_rows(store)
    if not rows:
        st.info("No runs yet. Start one in the Self-supervised lab, or with `python -m replearn_core train`.")
        st.session_state["runs_selected"] = []
        return
    frame = pd.DataFrame(rows)[["id", "reference", "kind", "status", "warnings", "method", "dataset", "best_knn_acc",
                                "duration_s", "device", "created", "error"]]
    frame["reference"] = frame["reference"].map({True: "reference", False: ""})
    frame["warnings"] = frame["warnings"].map(lambda w: f"⚠️ {len(w)}" if w else "")
    event = st.dataframe(frame, hide_index=True, use_container_width=True, on_select="rerun",
                         selection_mode="multi-row", key="runs_table",
                         column_config={"reference": st.column_config.TextColumn(
                                            "📌", help="reference: a long run shipped with the app, to compare "
                                                      "your runs with. Read-only: it cannot be deleted."),
                                        "warnings": st.column_config.TextColumn(
                                            "⚠️", help="Warnings to act on (skipped files, a collapsed "
                                                      "representation, a loss that did not fall): select the "
                                                      "run to read them."),
                                        "best_knn_acc": st.column_config.NumberColumn("best kNN", format="%.3f"),
                                        "duration_s": st.column_config.NumberColumn("time (s)", format="%.1f")})
    st.session_state["runs_selected"] = [rows[i]["id"] for i in event.selection.rows]


runs_table()
selected = st.session_state.get("runs_selected", [])
st.caption("Select rows in the table to compare, cancel, delete or download.")
if selected:
    metric_keys = sorted({k for rid in selected for k in store.metrics(rid)})
    default = "knn_acc" if "knn_acc" in metric_keys else (metric_keys[0] if metric_keys else None)
    if metric_keys:
        key = st.selectbox("Metric to overlay", metric_keys, index=metric_keys.index(default),
                           help="Any metric the selected runs logged.")
        smooth = st.toggle("Smooth", key == "loss", help="Exponential moving average (0.8) of the curve.")
        labels = {rid: f"{rid} {store.get_run(rid).config.get('method', '')}" for rid in selected}
        st.plotly_chart(overlay_figure(store, selected, key, labels, smooth), use_container_width=True)
    cols = st.columns(3)
    active = [rid for rid in selected if store.get_run(rid).active]
    if active and cols[0].button(f"⏹ Cancel {len(active)} active run(s)", help="Stop them at their next step."):
        for rid in active:
            store.request_cancel(rid)
        st.toast("Cancel requested")
    reference = [rid for rid in selected if store.get_run(rid).reference]
    if reference:
        cols[1].caption(f"{', '.join(reference)}: reference run(s) shipped with the app, read-only; "
                        f"they cannot be deleted.")
    done = [rid for rid in selected if not store.get_run(rid).active and rid not in reference]
    if done:
        confirm = cols[1].checkbox(f"Confirm deleting {len(done)} run(s)",
                                   help="Deleting removes the run, its metrics and its files for good.")
        if cols[1].button("🗑 Delete", disabled=not confirm, help="Delete the selected finished runs."):
            for rid in done:
                store.delete_run(rid)
            st.session_state["runs_selected"] = []
            st.rerun()
    for rid in selected[:3]:
        checkpoints = store.artifacts(rid, kind="checkpoint")
        if checkpoints and checkpoints[-1].path.exists():
            last = checkpoints[-1]
            cols[2].download_button(f"⬇ {rid} {last.name}", last.path.read_bytes(), file_name=f"{rid}_{last.name}.safetensors",
                                    help="The encoder's weights as safetensors (load with safetensors, no pickle).",
                                    key=f"dl_{rid}")
    for rid in selected:
        run = store.get_run(rid)
        if run.error:
            st.error(f"{rid}: {run.error}")
        for warning in run.warnings:
            st.warning(f"{rid}: {warning}", icon="⚠️")
