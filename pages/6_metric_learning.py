"""Metric learning: train triplet, Siamese, ArcFace or SupCon embeddings, then search images by example."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.data import DATASETS, DatasetError
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.search import comparison_table, gallery, image_from_bytes, search
from replearn_core.metric.views import retrieval_figure, start_metric_runs
from replearn_core.plots import loss_figure
from replearn_core.ssl.config import TrainConfig
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("📏 Metric learning and retrieval")
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = TrainConfig()

with st.sidebar:
    st.header("Run settings")
    method = st.selectbox("Loss", list(METRIC_METHODS), format_func=lambda m: METRIC_METHODS[m].title,
                          help="The metric-learning loss. Its formula and idea appear on the right.")
    names = list(DATASETS)
    dataset = st.selectbox("Dataset", names + ["folder:…"], index=names.index("digits"),
                           help="Labelled images; each run keeps its test split held out for retrieval. "
                                "folder:… reads any class-per-folder image tree.")
    if dataset == "folder:…":
        dataset = "folder:" + st.text_input("Folder path", help="A folder with one sub-folder of images per class.")
    backbone = st.selectbox("Backbone", list(BACKBONES), help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    epochs = st.slider("Epochs", 1, 50, 5, help="Passes over the training images; digits on a CPU: ~10 s each.")
    batch_size = st.select_slider("Batch size", [32, 64, 128, 256, 512], 256,
                                  help="Images per step, drawn as P classes × m images of each.")
    m_per_class = st.slider("Images per class in a batch (m)", 2, 32, 8,
                            help="The class-balanced sampler puts m images of each chosen class in a batch, "
                                 "so every image has positives to compare with.")
    lr = st.number_input("Learning rate", 1e-5, 1.0, defaults.lr, format="%.4f", help="Peak AdamW learning rate.")
    default_margin = float(METRIC_METHODS[method].options.get("margin", 0.0))
    margin = st.number_input("Margin", 0.0, 2.0, default_margin, 0.05, disabled=method == "supcon",
                             help="Triplet: how much nearer the positive must be; contrastive: how far negatives are "
                                  "pushed; ArcFace: the extra angle in radians.")
    mining = st.selectbox("Triplet mining", ["batch_hard", "batch_all"], disabled=method != "triplet",
                          help="batch_hard: each anchor's farthest positive and nearest negative; "
                               "batch_all: every triplet that still violates the margin.")
    temperature = st.slider("Temperature τ", 0.05, 1.0, 0.1, 0.05, disabled=method != "supcon",
                            help="SupCon's softmax temperature: lower weighs the hardest negatives more.")
    seed = st.number_input("Seed", 0, 10_000, 0, help="Seeds initialisation, batches and augmentations.")

info = METRIC_METHODS[method]
left, right = st.columns([3, 2])
with right:
    st.subheader(info.title)
    st.markdown(info.summary)
    st.latex(info.formula)
    st.caption(info.paper)

options = {"m_per_class": int(m_per_class)}
if method != "supcon":
    options["margin"] = float(margin)
if method == "triplet":
    options["mining"] = mining
config = dict(defaults.to_dict(), method=method, dataset=dataset, backbone=backbone, epochs=int(epochs),
              batch_size=int(batch_size), lr=float(lr), temperature=float(temperature), seed=int(seed),
              options=options)
with left:
    one, every = st.columns(2)
    start = None
    if one.button("▶ Train", type="primary", use_container_width=True,
                  help="Queue this run; a worker process executes it and the curves update live."):
        start = [method]
    if every.button("▶ Train all four losses", use_container_width=True,
                    help="Queue one run per loss with the same settings and budget, for the comparison table "
                         "(each loss keeps its default margin)."):
        start = list(METRIC_METHODS)
    if start:
        try:
            cfgs = config if len(start) == 1 else dict(config, options={"m_per_class": int(m_per_class)})
            ids = start_metric_runs(cfgs, start)
            st.session_state["metric_run_id"] = ids[0]
            st.toast(f"{len(ids)} run(s) queued")
        except (DatasetError, ValueError, KeyError) as exc:
            st.error(f"Cannot start: {exc}")


@live_fragment(run_every=refresh_seconds())
def live_view():
    run_id = st.session_state.get("metric_run_id")
    runs = store.list_runs(kind="metric")
    run = store.get_run(run_id) if run_id else (runs[0] if runs else None)
    if run is None:
        st.info("No metric-learning run yet: choose a loss and press Train.")
        return
    st.subheader(f"Run {run.id}: {run.config.get('method')} on {run.config.get('dataset')}")
    st.progress(run.progress, text=f"{run.status} · {run.message or ''} · device {run.device or '?'}")
    if run.error:
        st.error(run.error)
    if run.active and st.button("⏹ Cancel", key=f"cancel_{run.id}", help="Stop this run at its next step."):
        store.request_cancel(run.id)
    metrics = store.metrics(run.id)
    c1, c2 = st.columns(2)
    c1.plotly_chart(loss_figure(metrics), use_container_width=True, key=f"mloss_{run.id}")
    c2.plotly_chart(retrieval_figure(metrics), use_container_width=True, key=f"mret_{run.id}")


live_view()

st.header("🔎 Search by example")
finished = store.list_runs(kind="metric", status="finished")
if not finished:
    st.info("Search needs a finished metric-learning run.")
else:
    labels = {f"{r.id} · {r.config.get('method')} · {r.config.get('dataset')}": r.id for r in finished}
    chosen = labels[st.selectbox("Run", list(labels), help="The embedding to search with.")]
    k = st.slider("Neighbours (k)", 1, 20, 8, help="How many nearest held-out images to show.")
    source = st.radio("Query", ["Pick a held-out image", "Upload an image"], horizontal=True,
                      help="A picked image is left out of its own results; an upload has no known class.")
    try:
        g = gallery(chosen, store)
        if source == "Pick a held-out image":
            index = st.number_input("Held-out image number", 0, len(g.labels) - 1, 0,
                                    help="Which held-out image to use as the query.")
            query, label, exclude = g.images[int(index)], int(g.labels[int(index)]), int(index)
        else:
            upload = st.file_uploader("Query image", type=["png", "jpg", "jpeg", "bmp", "webp"],
                                      help="Any image; it is resized to the run's image size.")
            query, label, exclude = (image_from_bytes(upload.getvalue(), upload.name) if upload else None), None, None
        if query is not None:
            result = search(chosen, query, k=int(k), store=store, query_label=label, exclude_index=exclude)
            shown = query.permute(1, 2, 0).numpy() if hasattr(query, "permute") else query
            st.image(shown, width=96, caption="query" + (f" (class {g.class_names[label]})" if label is not None else ""))
            st.image([n.image for n in result.neighbours], width=80,
                     caption=[("✅ " if n.correct else "❌ " if n.correct is False else "") +
                              f"{n.class_name} · d={n.distance:.2f}" for n in result.neighbours])
            if label is not None:
                hits = sum(bool(n.correct) for n in result.neighbours)
                st.caption(f"{hits} of {len(result.neighbours)} neighbours share the query's class "
                           f"(✅ correct, ❌ another class; d = distance in the embedding).")
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(f"Cannot search: {exc}")

st.header("📊 Losses compared")
rows = comparison_table(store)
if rows:
    st.caption("Held-out retrieval of every finished run (train them with the same budget to compare fairly).")
    st.dataframe(rows, use_container_width=True, hide_index=True)
else:
    st.info("Finished runs appear here with their Precision@1, Recall@K and MAP@R.")
