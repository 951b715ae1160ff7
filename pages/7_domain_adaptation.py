"""Domain adaptation: carry a classifier from printed to handwritten digits (or any two domains)."""

import streamlit as st

from replearn_core.adaptation import ADAPT_METHODS
from replearn_core.adaptation.job import AdaptConfig
from replearn_core.adaptation.views import (accuracy_figure, comparison_rows, domain_gap_reading, feature_map_figure,
                                            start_adapt_run)
from replearn_core.backbones import BACKBONES
from replearn_core.data import DatasetError
from replearn_core.i18n import translate_or
from ui.classroom import current_user
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, t
from ui.panels import method_card, run_status, shown_run
from ui.pickers import dataset_picker
from ui.presets import lesson_banner, preset, preset_index
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("da.title"))
st.caption(t("da.caption"))
lesson_banner()  # opened by a lesson: say which, with a way back
user = current_user()  # classroom mode: who is at this browser (a sign-in form until they say)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = AdaptConfig()


def method_title(m: str) -> str:
    return t("da.all") if m == "all" else translate_or(f"adapt_method.{m}.title", ADAPT_METHODS[m].title, lang)


def domain_picker(name: str, label: str, default: str, help_text: str) -> str:
    return dataset_picker(label, default, help_text, preset_name=name, folder_label=t("da.folder", label=label),
                          folder_help=t("da.folder_help"))


with st.sidebar:
    st.header(t("lab.settings"))
    source = domain_picker("source", t("da.source"), defaults.source, t("da.source_help"))
    target = domain_picker("target", t("da.target"), defaults.target, t("da.target_help"))
    method_names = list(ADAPT_METHODS) + ["all"]
    method = st.selectbox(t("lab.method"), method_names, index=preset_index("method", method_names),
                          format_func=method_title, help=t("da.method_help"))
    backbone = st.selectbox(t("lab.backbone"), list(BACKBONES), help=t("da.backbone_help"))
    epochs = st.slider(t("common.epochs"), 1, 60, preset("epochs", defaults.epochs), help=t("da.epochs_help"))
    declared = ADAPT_METHODS.get(method)  # None: every method in one run, each at its own measured weight
    if declared is None or declared.alignment is None:
        trade_off = None
        st.caption(t("da.weight_defaults", weights=", ".join(
            f"{method_title(m)} {d.weight:g}" for m, d in ADAPT_METHODS.items() if d.alignment is not None)))
    else:
        trade_off = st.number_input(t("da.weight"), 0.0, 100.0, ADAPT_METHODS[method].weight, 0.5,
                                    key=f"weight_{method}", help=t("da.weight_help"))
    align_after = st.slider(t("da.align_after"), 0.0, 0.9, defaults.align_after, 0.05, help=t("da.align_after_help"))
    lr = st.number_input(t("common.learning_rate"), 1e-5, 1.0, defaults.lr, format="%.4f", help=t("da.lr_help"))
    seed = st.number_input(t("common.seed"), 0, 10_000, 0, help=t("da.seed_help"))

if declared is not None:
    info = declared
    method_card(method_title(method), translate_or(f"adapt_method.{method}.summary", info.summary, lang),
                info.formula, info.paper)

config = dict(defaults.to_dict(), source=source, target=target, method=method, backbone=backbone,
              epochs=int(epochs), trade_off=None if trade_off is None else float(trade_off),
              align_after=float(align_after), lr=float(lr),
              seed=int(seed))
if st.button(t("da.adapt"), type="primary", help=t("da.adapt_help")):
    try:
        st.session_state["adapt_run_id"] = start_adapt_run(config, store, user=user)
        st.toast(t("lab.queued"))
    except (DatasetError, ValueError, KeyError, PermissionError) as exc:
        st.error(t("common.cannot_start", detail=error_t(exc)))


@live_fragment(run_every=refresh_seconds())
def live_view():
    run = shown_run(store, user, "adapt", "adapt_run_id")
    if run is None:
        st.info(t("da.no_run"))
        return
    cfg = run.config
    st.subheader(t("da.run_header", id=run.id, method=cfg.get("method"), source=cfg.get("source"),
                   target=cfg.get("target")))
    run_status(store, user, run, t("lab.cancel_help"))
    if run.active:
        return
    if run.status != "finished":
        return
    s = run.summary
    if s.get("target_acc_before") is not None:
        c1, c2 = st.columns(2)
        c1.metric(t("da.acc_before"), f"{s['target_acc_before']:.3f}")
        c2.metric(t("da.acc_after"), f"{s['target_acc_after']:.3f}",
                  delta=f"{s['target_acc_after'] - s['target_acc_before']:+.3f}")
    st.plotly_chart(accuracy_figure(s), use_container_width=True, key=f"acc_{run.id}")
    colour_by = st.radio(t("da.colour_by"), ["domain", "class"], horizontal=True, key=f"colour_{run.id}",
                         format_func=lambda c: t(f"da.colour_{c}"), help=t("da.colour_help"))
    reading = domain_gap_reading(s, lang)
    if reading:
        st.caption(reading)
    methods = list(s.get("target_acc", {}))
    columns = st.columns(min(len(methods), 2) or 1)
    for i, m in enumerate(methods):
        fig = feature_map_figure(store, run.id, m, colour_by)
        if fig is not None:
            label = t("da.before") if ADAPT_METHODS[m].alignment is None else t("da.after")  # the control: before
            columns[i % len(columns)].caption(label)
            columns[i % len(columns)].plotly_chart(fig, use_container_width=True, key=f"map_{run.id}_{m}")


live_view()

rows = comparison_rows(store, user)
if rows:
    st.header(t("da.all_runs"))
    st.dataframe(rows, use_container_width=True, hide_index=True)
