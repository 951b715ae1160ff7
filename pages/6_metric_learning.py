"""Metric learning: train triplet, Siamese, ArcFace or SupCon embeddings, then search images by example."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.data import DatasetError
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.config import MetricConfig
from replearn_core.metric.search import comparison_table, gallery, image_from_bytes, search
from replearn_core.metric.views import retrieval_figure, start_metric_runs
from replearn_core.plots import loss_figure
from replearn_core.i18n import translate_or
from replearn_core.runs import access
from ui.classroom import current_user
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, how_to_read, t
from ui.options import option_controls
from ui.panels import method_card, run_status, shown_run
from ui.pickers import dataset_picker
from ui.presets import lesson_banner, preset, preset_index
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("ml.title"))
lesson_banner()  # opened by a lesson: say which, with a way back
user = current_user()  # classroom mode: who is at this browser (a sign-in form until they say)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data


def loss_title(m: str) -> str:
    return translate_or(f"metric_method.{m}.title", METRIC_METHODS[m].title, lang)


with st.sidebar:
    st.header(t("lab.settings"))
    methods = list(METRIC_METHODS)
    method = st.selectbox(t("ml.loss"), methods, index=preset_index("method", methods), format_func=loss_title,
                          help=t("ml.loss_help"))
    dataset = dataset_picker(t("lab.dataset"), "shapes", t("ml.dataset_help"))
    backbone = st.selectbox(t("lab.backbone"), list(BACKBONES), help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    declared = METRIC_METHODS[method]  # each loss's measured defaults (docs/metric_learning.md)
    epochs = st.slider(t("common.epochs"), 1, 50, preset("epochs", declared.epochs), help=t("ml.epochs_help"))
    batch_size = st.select_slider(t("common.batch_size"), [32, 64, 128, 256, 512], declared.batch_size,
                                  help=t("ml.batch_help"))
    lr = st.number_input(t("common.learning_rate"), 1e-5, 1.0, declared.lr, format="%.4f", help=t("ml.lr_help"))
    seed = st.number_input(t("common.seed"), 0, 10_000, 0, help=t("ml.seed_help"))
    # the loss's own settings (margin, mining, scale, τ, ...), translated; a lesson's ?margin=0.5 presets one
    options = option_controls(declared.options, key=f"ml_option_{method}", method=method)

info = METRIC_METHODS[method]
left, right = st.columns([3, 2])
with right:
    method_card(loss_title(method), translate_or(f"metric_method.{method}.summary", info.summary, lang),
                info.formula, info.paper)

config = dict(MetricConfig().to_dict(), method=method, dataset=dataset, backbone=backbone, epochs=int(epochs),
              batch_size=int(batch_size), lr=float(lr), seed=int(seed), options=options)
with left:
    one, every = st.columns(2)
    start = None
    if one.button(t("lab.train"), type="primary", use_container_width=True, help=t("ml.train_help")):
        start = [method]
    if every.button(t("ml.train_all"), use_container_width=True, help=t("ml.train_all_help")):
        start = list(METRIC_METHODS)
    if start:
        try:
            # every loss at once: each with its own measured defaults (epochs, lr, batch, margin), same data and seed
            ids = start_metric_runs(config, start, own_defaults=len(start) > 1, store=store, user=user)
            st.session_state["metric_run_id"] = ids[0]
            st.toast(t("ml.queued", n=len(ids)))
        except (DatasetError, ValueError, KeyError, PermissionError) as exc:
            st.error(t("common.cannot_start", detail=error_t(exc)))


@live_fragment(run_every=refresh_seconds())
def live_view():
    run = shown_run(store, user, "metric", "metric_run_id")
    if run is None:
        st.info(t("ml.no_run"))
        return
    st.subheader(t("lab.run_header", id=run.id, method=run.config.get("method"), dataset=run.config.get("dataset")))
    run_status(store, user, run, t("lab.cancel_help"))
    metrics = store.metrics(run.id)
    c1, c2 = st.columns(2)
    c1.plotly_chart(loss_figure(metrics, lang=lang), use_container_width=True, key=f"mloss_{run.id}")
    how_to_read("loss", c1)
    c2.plotly_chart(retrieval_figure(metrics), use_container_width=True, key=f"mret_{run.id}")


live_view()

st.header(t("ml.search"))
finished = access.list_runs(store, user, kind="metric", status="finished")
if not finished:
    st.info(t("ml.search_needs"))
else:
    labels = {f"{r.id} · {r.config.get('method')} · {r.config.get('dataset')}": r.id for r in finished}
    chosen = labels[st.selectbox(t("ml.run"), list(labels), help=t("ml.run_help"))]
    k = st.slider(t("ml.k"), 1, 20, 8, help=t("ml.k_help"))
    source = st.radio(t("ml.query"), ["pick", "upload"], horizontal=True, format_func=lambda q: t(f"ml.query_{q}"),
                      help=t("ml.query_help"))
    try:
        g = gallery(chosen, store)
        if source == "pick":
            index = st.number_input(t("ml.index"), 0, len(g.labels) - 1, 0, help=t("ml.index_help"))
            query, label, exclude = g.images[int(index)], int(g.labels[int(index)]), int(index)
        else:
            upload = st.file_uploader(t("ml.upload"), type=["png", "jpg", "jpeg", "bmp", "webp"],
                                      help=t("ml.upload_help"))
            query, label, exclude = (image_from_bytes(upload.getvalue(), upload.name) if upload else None), None, None
        if query is not None:
            result = search(chosen, query, k=int(k), store=store, query_label=label, exclude_index=exclude)
            shown = query.permute(1, 2, 0).numpy() if hasattr(query, "permute") else query
            st.image(shown, width=96, caption=t("ml.query_caption") + (
                t("ml.query_class", name=g.class_names[label]) if label is not None else ""))
            st.image([n.image for n in result.neighbours], width=80,
                     caption=[("✅ " if n.correct else "❌ " if n.correct is False else "") +
                              f"{n.class_name} · d={n.distance:.2f}" for n in result.neighbours])
            if label is not None:
                hits = sum(bool(n.correct) for n in result.neighbours)
                st.caption(t("ml.hits", hits=hits, k=len(result.neighbours)))
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(t("ml.cannot_search", detail=error_t(exc)))

st.header(t("ml.compared"))
rows = comparison_table(store, user)
if rows:
    st.caption(t("ml.compared_caption"))
    st.dataframe(rows, use_container_width=True, hide_index=True)
else:
    st.info(t("ml.compared_empty"))
