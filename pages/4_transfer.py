"""Transfer learning: start from a pretrained encoder, compare fine-tuning strategies side by side."""

import pandas as pd
import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.checkpoints import CheckpointError
from replearn_core.data import DATASETS, DatasetError
from replearn_core.runs.store import RunNotFound
from replearn_core.transfer import STRATEGIES, TransferConfig
from replearn_core.transfer.lab import (check_encoder, comparison_curves, comparison_runs, cost_figure,
                                        curves_figure, encoder_choices, label_efficiency_figure, results_csv,
                                        run_label, save_upload, start_comparison, start_source_run)
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("🔁 Transfer learning")
st.caption("Does a pretrained encoder help, and which way of reusing it works best with 1 %, 10 % or all "
           "of the labels? Pick an encoder and a target, tick strategies and label fractions, press Compare.")
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = TransferConfig()
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]

with st.sidebar:
    st.header("Encoder")
    choices = encoder_choices(store)
    encoder = st.selectbox("Start from", list(choices), format_func=choices.get,
                           help="A finished self-supervised or supervised run of this lab, random weights (the "
                                "control), torchvision's ImageNet ResNet-18, or a checkpoint file you upload.")
    backbone = st.selectbox("Architecture", list(BACKBONES), help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()) + "\n\nUsed for random and uploaded encoders; "
        "runs and ImageNet bring their own.", disabled=encoder not in ("random", "upload"))
    encoder_ok = True
    if encoder == "upload":
        upload = st.file_uploader("Checkpoint file", type=["safetensors", "pt", "pth", "bin", "ckpt"],
                                  help="A state dict of the chosen architecture: safetensors, or a torch file "
                                       "(read with weights_only=True, never unpickled).")
        encoder_ok = False
        if upload is not None:
            try:
                encoder = "file:" + str(save_upload(upload.name, upload.getvalue()))
                check_encoder(encoder, backbone, store)
                st.success(f"{upload.name} fits {backbone}.")
                encoder_ok = True
            except (CheckpointError, ValueError) as exc:
                st.error(str(exc))
    elif encoder == "imagenet":
        st.info("The ImageNet weights download (45 MB) when the comparison starts; offline the run stops with a "
                "message. They expect larger images: try image size 64 or more.")
    if st.button("Train a source encoder on printed-digits", help="The built-in pair: a supervised encoder "
                 "learns printed digits (about a minute on a CPU); then transfer it to handwritten digits."):
        st.session_state["transfer_source_id"] = start_source_run(store=store)
        st.toast("Source run queued: it appears under Start from when finished.")

    st.header("Target")
    dataset = st.selectbox("Target dataset", list(DATASETS) + ["folder:…"], index=list(DATASETS).index("digits"),
                           help="The labelled task to transfer to. digits is built in and small, so the label "
                                "fractions bite; folder:… reads any class-per-folder image tree.")
    if dataset == "folder:…":
        dataset = "folder:" + st.text_input("Folder path", help="A folder with one sub-folder of images per class.")
    strategies = st.multiselect("Strategies", list(STRATEGIES), defaults.strategies,
                                format_func=lambda k: f"{k}: {STRATEGIES[k].title}",
                                help="Each runs on the same label subsets from the same encoder. Their "
                                     "explanations appear on the page.")
    fractions = st.multiselect("Label fractions", FRACTIONS, defaults.fractions, format_func=lambda f: f"{f:.0%}",
                               help="Share of the target's training labels, the same seeded per-class subsets "
                                    "for every strategy (at least one image per class).")
    epochs = st.slider("Epochs", 1, 50, defaults.epochs, help="Passes over each labelled subset; tiny subsets get "
                       f"at least {defaults.min_steps} steps anyway.")
    lr = st.number_input("Learning rate", 1e-5, 1.0, defaults.lr, format="%.4f",
                         help="Peak AdamW learning rate of the head, warm-up then cosine decay.")
    with st.expander("Strategy settings"):
        freeze_stages = st.slider("partial: frozen stages k", 0, 4, defaults.freeze_stages,
                                  help="The first k backbone stages stay frozen (small_cnn has 3, ResNets 5).")
        lr_decay = st.slider("llrd: decay γ", 0.05, 1.0, defaults.lr_decay, 0.05,
                             help="Each stage deeper from the top multiplies the learning rate by γ.")
        unfreeze_every = st.number_input("gradual: steps between unfreezings (0 = automatic)", 0, 10_000,
                                         defaults.unfreeze_every, help="0 spreads them over the first half.")
        probe_fraction = st.slider("lpft: share of steps as a linear probe", 0.1, 0.9, defaults.probe_fraction,
                                   0.1, help="Phase 1 trains only the head; phase 2 fine-tunes everything.")
        image_size = st.select_slider("Image size", [16, 32, 64, 96, 128], defaults.image_size,
                                      help="Images are resized to this; larger is slower.")
        seed = st.number_input("Seed", 0, 10_000, defaults.seed, help="Seeds the label subsets, heads and batches.")

for key in strategies:
    with st.expander(STRATEGIES[key].title):
        st.markdown(STRATEGIES[key].explanation())

config = dict(defaults.to_dict(), encoder=encoder, backbone=backbone, dataset=dataset, strategies=strategies,
              fractions=fractions, epochs=int(epochs), lr=float(lr), freeze_stages=int(freeze_stages),
              lr_decay=float(lr_decay), unfreeze_every=int(unfreeze_every), probe_fraction=float(probe_fraction),
              image_size=int(image_size), seed=int(seed))
if st.button("▶ Compare", type="primary", disabled=not encoder_ok,
             help="Queue one job that trains every strategy × fraction; it runs in a worker process."):
    try:
        st.session_state["transfer_run_id"] = start_comparison(config, store)
        st.toast("Comparison queued")
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(f"Cannot start: {exc}")

past = comparison_runs(store)
if past:
    labels = {r.id: run_label(r) for r in past}
    current = st.session_state.get("transfer_run_id")
    chosen = st.selectbox("Show comparison", list(labels), format_func=labels.get,
                          index=list(labels).index(current) if current in labels else 0,
                          help="Reopen any past comparison; the newest is shown by default.")
    st.session_state["transfer_shown"] = chosen


@live_fragment(run_every=refresh_seconds())
def live_view():
    run_id = st.session_state.get("transfer_shown")
    if not run_id:
        st.info("No comparison yet: choose an encoder, strategies and fractions, then press Compare.")
        return
    try:
        run = store.get_run(run_id)
    except RunNotFound:
        st.warning("That comparison was deleted.")
        return
    cfg = run.config
    st.subheader(f"{cfg.get('encoder')} → {cfg.get('dataset')}")
    status = {"queued": "⏳ queued", "running": "🏃 running", "finished": "✅ finished", "failed": "❌ failed",
              "cancelled": "⏹ cancelled"}[run.status]
    st.progress(run.progress, text=f"{status} · {run.message or ''} · device {run.device or '?'}")
    if run.error:
        st.error(run.error)
    if run.active and st.button("⏹ Cancel", key=f"cancel_{run.id}", help="Stop this comparison at its next step."):
        store.request_cancel(run.id)
    curves = comparison_curves(store, run.id)
    left, right = st.columns(2)
    left.plotly_chart(curves_figure(curves["acc"], cfg.get("fractions", []), "Held-out accuracy", "accuracy"),
                      width="stretch", key=f"acc_{run.id}")
    right.plotly_chart(curves_figure(curves["loss"], cfg.get("fractions", []), "Training loss", "loss"),
                       width="stretch", key=f"loss_{run.id}")
    rows = run.summary.get("table")
    if not rows:
        return
    left, right = st.columns(2)
    left.plotly_chart(label_efficiency_figure(rows), width="stretch", key=f"eff_{run.id}")
    right.plotly_chart(cost_figure(rows), width="stretch", key=f"cost_{run.id}")
    table = pd.DataFrame(rows)[["strategy", "fraction", "n_labels", "accuracy", "train_time_s", "trainable_params"]]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "fraction": st.column_config.NumberColumn("labels used", format="percent"),
        "n_labels": st.column_config.NumberColumn("images"),
        "accuracy": st.column_config.NumberColumn("accuracy", format="%.3f"),
        "train_time_s": st.column_config.NumberColumn("train time (s)", format="%.2f"),
        "trainable_params": st.column_config.NumberColumn("trainable parameters", format="%d")})
    st.download_button("⬇ Table as CSV", results_csv(rows), file_name=f"transfer_{run.id}.csv", mime="text/csv",
                       help="One row per strategy × fraction.")
    st.subheader("Recommendation")
    st.markdown(run.summary.get("recommendation", ""))
    for note in run.summary.get("notes", []):
        st.caption(note)


live_view()
