"""Metric learning: train triplet, Siamese, ArcFace or SupCon embeddings, then search images by example."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.escape import markdown_text
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.config import MetricConfig
from replearn_core.metric.search import comparison_table
from replearn_core.metric.lab import retrieval_figure, start_metric_runs
from replearn_core.plots import loss_figure
from replearn_core.runs import access
from ui.i18n import how_to_read, t
from ui.metric_search import search_panel
from ui.options import option_controls
from ui.panels import card_t, live_run, method_card, open_page, start_button
from ui.pickers import dataset_picker
from ui.presets import preset_index

page = open_page("ml.title")


def loss_title(m: str) -> str:
    return card_t(METRIC_METHODS[m].card()).title


with st.sidebar:
    st.header(t("lab.settings"))
    methods = list(METRIC_METHODS)
    method = st.selectbox(t("ml.loss"), methods, index=preset_index("method", methods), format_func=loss_title,
                          help=t("ml.loss_help"))
    dataset = dataset_picker(t("lab.dataset"), "shapes", t("ml.dataset_help"))
    backbone = st.selectbox(t("lab.backbone"), list(BACKBONES), help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    declared = METRIC_METHODS[method]
    # epochs, batch, learning rate (each loss's measured defaults, docs/metric_learning.md) and seed, then the
    # loss's own settings (margin, mining, scale, τ, ...); a lesson's ?margin=0.5 presets one
    values = option_controls(declared.settings(), key=f"ml_{method}", method="metric")
    options = option_controls(declared.options, key=f"ml_option_{method}", method=method)

left, right = st.columns([3, 2])
with right:
    method_card(declared.card())

config = dict(MetricConfig().to_dict(), method=method, dataset=dataset, backbone=backbone, options=options, **values)
with left:
    one, every = st.columns(2)
    start_button(t("lab.train"), t("ml.train_help"), lambda: start_metric_runs(config, [method], store=page.store,
                                                                               user=page.user),
                 "metric_run_id", t("ml.queued", n=1), place=one, use_container_width=True)
    # every loss at once: each with its own measured defaults (epochs, lr, batch, margin), same data and seed
    start_button(t("ml.train_all"), t("ml.train_all_help"),
                 lambda: start_metric_runs(config, list(METRIC_METHODS), own_defaults=True, store=page.store,
                                           user=page.user),
                 "metric_run_id", t("ml.queued", n=len(METRIC_METHODS)), place=every, type="secondary",
                 use_container_width=True)


def show_curves(run):
    metrics = access.run_metrics(page.store, page.user, run.id)
    c1, c2 = st.columns(2)
    c1.plotly_chart(loss_figure(metrics, lang=page.lang), use_container_width=True, key=f"mloss_{run.id}")
    how_to_read("loss", c1)
    c2.plotly_chart(retrieval_figure(metrics), use_container_width=True, key=f"mret_{run.id}")


live_run(page, "metric", "metric_run_id", t("ml.no_run"),
         lambda run: t("lab.run_header", id=run.id, method=markdown_text(run.config.get("method")),
                       dataset=markdown_text(run.config.get("dataset"))),
         show_curves)

st.header(t("ml.search"))
search_panel(page)

st.header(t("ml.compared"))
rows = comparison_table(page.store, page.user)
if rows:
    st.caption(t("ml.compared_caption"))
    st.dataframe(rows, use_container_width=True, hide_index=True)
else:
    st.info(t("ml.compared_empty"))
