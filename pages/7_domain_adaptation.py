"""Domain adaptation: carry a classifier from printed to handwritten digits (or any two domains)."""

import streamlit as st

from replearn_core.adaptation import ADAPT_METHODS
from replearn_core.adaptation.job import AdaptConfig
from replearn_core.adaptation.views import (accuracy_figure, comparison_rows, domain_gap_reading, feature_map_figure,
                                            start_adapt_run)
from replearn_core.backbones import BACKBONES
from replearn_core.data import DATASETS, DatasetError
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("🌉 Domain adaptation")
st.caption("Labelled source images, unlabelled target images: the target's labels only score the result.")
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = AdaptConfig()
names = list(DATASETS)


def domain_picker(label: str, default: str, help_text: str) -> str:
    choice = st.selectbox(label, names + ["folder:…"], index=names.index(default), help=help_text,
                          format_func=lambda n: n if n == "folder:…" else f"{n}{'' if DATASETS[n].offline else ' (download)'}")
    if choice == "folder:…":
        return "folder:" + st.text_input(f"{label} folder", help="One sub-folder of images per class, "
                                         "with the same class names in both domains.")
    return choice


with st.sidebar:
    st.header("Run settings")
    source = domain_picker("Source domain", defaults.source, "Labelled images the classifier learns from. "
                           "printed-digits (built in) are digits drawn from fonts.")
    target = domain_picker("Target domain", defaults.target, "Unlabelled images to adapt to; digits is "
                           "scikit-learn's handwritten set, pen-digits (built in) digits drawn as pen strokes. "
                           "mnist, usps and svhn download once.")
    method = st.selectbox("Method", list(ADAPT_METHODS) + ["all"],
                          format_func=lambda m: "All four, compared" if m == "all" else ADAPT_METHODS[m].title,
                          help="Each run also trains the source-only control from the same start, for the "
                               "'before' accuracy and map.")
    backbone = st.selectbox("Backbone", list(BACKBONES), help="The encoder shared by both domains.")
    epochs = st.slider("Epochs", 1, 60, defaults.epochs, help="Passes over the source images, per method.")
    if method in ("all", "source_only"):
        trade_off = None
        st.caption("Alignment weight w: each method's default (" + ", ".join(
            f"{ADAPT_METHODS[m].title} {ADAPT_METHODS[m].weight:g}" for m in ADAPT_METHODS if m != "source_only") + ").")
    else:
        trade_off = st.number_input("Alignment weight w", 0.0, 100.0, ADAPT_METHODS[method].weight, 0.5,
                                    key=f"weight_{method}",
                                    help="Weight of the alignment loss (DANN's domain loss, CORAL, MMD) next to the "
                                         "source classification loss; the default is this method's measured one "
                                         "(CORAL's loss is about 30× smaller than the others').")
    align_after = st.slider("Source-only start", 0.0, 0.9, defaults.align_after, 0.05,
                            help="Share of the steps trained on source labels alone before the alignment loss "
                                 "switches on. 0 by default: the alignment weight already ramps up from 0 as "
                                 "λ(p) = 2/(1+e^(−10p)) − 1.")
    lr = st.number_input("Learning rate", 1e-5, 1.0, defaults.lr, format="%.4f",
                         help="Starting SGD learning rate lr0 (momentum 0.9), annealed as lr0 / (1 + 10 p)^0.75.")
    seed = st.number_input("Seed", 0, 10_000, 0, help="Seeds the shared initialisation and the batches.")

if method != "all":
    info = ADAPT_METHODS[method]
    st.subheader(info.title)
    st.markdown(info.summary)
    st.latex(info.formula)
    if info.paper:
        st.caption(info.paper)

config = dict(defaults.to_dict(), source=source, target=target, method=method, backbone=backbone,
              epochs=int(epochs), trade_off=None if trade_off is None else float(trade_off),
              align_after=float(align_after), lr=float(lr),
              seed=int(seed))
if st.button("▶ Adapt", type="primary", help="Queue the run; a worker process trains the control and the method."):
    try:
        st.session_state["adapt_run_id"] = start_adapt_run(config, store)
        st.toast("Run queued")
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(f"Cannot start: {exc}")


@live_fragment(run_every=refresh_seconds())
def live_view():
    run_id = st.session_state.get("adapt_run_id")
    runs = store.list_runs(kind="adapt")
    run = store.get_run(run_id) if run_id else (runs[0] if runs else None)
    if run is None:
        st.info("No adaptation run yet: choose two domains and a method, then press Adapt.")
        return
    cfg = run.config
    st.subheader(f"Run {run.id}: {cfg.get('method')} · {cfg.get('source')} → {cfg.get('target')}")
    st.progress(run.progress, text=f"{run.status} · {run.message or ''} · device {run.device or '?'}")
    if run.error:
        st.error(run.error)
    if run.active:
        if st.button("⏹ Cancel", key=f"cancel_{run.id}", help="Stop this run at its next step."):
            store.request_cancel(run.id)
        return
    if run.status != "finished":
        return
    s = run.summary
    if s.get("target_acc_before") is not None:
        c1, c2 = st.columns(2)
        c1.metric("Target accuracy before (source only)", f"{s['target_acc_before']:.3f}")
        c2.metric("Target accuracy after", f"{s['target_acc_after']:.3f}",
                  delta=f"{s['target_acc_after'] - s['target_acc_before']:+.3f}")
    st.plotly_chart(accuracy_figure(s), use_container_width=True, key=f"acc_{run.id}")
    colour_by = st.radio("Colour the maps by", ["domain", "class"], horizontal=True, key=f"colour_{run.id}",
                         help="By domain: do source and target overlap? By class: do the classes line up across "
                              "domains (circles: source, crosses: target)?")
    reading = domain_gap_reading(s)
    if reading:
        st.caption(reading)
    methods = list(s.get("target_acc", {}))
    columns = st.columns(min(len(methods), 2) or 1)
    for i, m in enumerate(methods):
        fig = feature_map_figure(store, run.id, m, colour_by)
        if fig is not None:
            label = "before (source only)" if m == "source_only" else "after"
            columns[i % len(columns)].caption(label)
            columns[i % len(columns)].plotly_chart(fig, use_container_width=True, key=f"map_{run.id}_{m}")


live_view()

rows = comparison_rows(store)
if rows:
    st.header("📊 All finished runs")
    st.dataframe(rows, use_container_width=True, hide_index=True)
