"""Transfer learning: start from a pretrained encoder, compare fine-tuning strategies side by side."""

import pandas as pd
import streamlit as st

from replearn_core.data import DatasetError
from replearn_core.runs.store import RunNotFound
from replearn_core.transfer import STRATEGIES, TransferConfig
from replearn_core.transfer.lab import (comparison_curves, comparison_runs, cost_figure, curves_figure,
                                        label_efficiency_figure, results_csv, run_label, start_comparison,
                                        start_source_run)
from replearn_core.i18n import translate_or
from ui.classroom import current_user
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, how_to_read, msg_t, t
from ui.panels import run_status
from ui.pickers import dataset_picker, encoder_picker
from ui.presets import lesson_banner, preset
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("transfer.title"))
st.caption(t("transfer.caption"))
lesson_banner()  # opened by a lesson: say which, with a way back
user = current_user()  # classroom mode: who is at this browser (a sign-in form until they say)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = TransferConfig()
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def strategy_title(key: str) -> str:
    return translate_or(f"strategy.{key}.title", STRATEGIES[key].title, lang)


with st.sidebar:
    st.header(t("transfer.encoder"))
    encoder, backbone, encoder_ok = encoder_picker(store, user)
    if st.button(t("transfer.train_source"), help=t("transfer.train_source_help")):
        try:
            st.session_state["transfer_source_id"] = start_source_run(store=store, user=user)
            st.toast(t("transfer.source_queued"))
        except (ValueError, KeyError, PermissionError) as exc:
            st.error(t("common.cannot_start", detail=error_t(exc)))

    st.header(t("transfer.target"))
    dataset = dataset_picker(t("transfer.target_dataset"), "digits", t("transfer.target_dataset_help"))
    strategies = st.multiselect(t("transfer.strategies"), list(STRATEGIES),
                                preset("strategies", defaults.strategies,
                                       choices=lambda v: bool(v) and set(v) <= set(STRATEGIES)),
                                format_func={k: f"{k}: {strategy_title(k)}" for k in STRATEGIES}.get,
                                help=t("transfer.strategies_help"))
    fractions = st.multiselect(t("transfer.fractions"), FRACTIONS,
                               preset("fractions", defaults.fractions,
                                      choices=lambda v: bool(v) and set(v) <= set(FRACTIONS)),
                               format_func=lambda f: f"{f:.0%}", help=t("transfer.fractions_help"))
    epochs = st.slider(t("common.epochs"), 1, 50, preset("epochs", defaults.epochs, choices=lambda v: 1 <= v <= 50),
                       help=t("transfer.epochs_help", steps=defaults.min_steps))
    lr = st.number_input(t("common.learning_rate"), 1e-5, 1.0, defaults.lr, format="%.4f", help=t("transfer.lr_help"))
    with st.expander(t("transfer.strategy_settings")):
        freeze_stages = st.slider(t("transfer.freeze_stages"), 0, 4, defaults.freeze_stages,
                                  help=t("transfer.freeze_stages_help"))
        lr_decay = st.slider(t("transfer.lr_decay"), 0.05, 1.0, defaults.lr_decay, 0.05, help=t("transfer.lr_decay_help"))
        unfreeze_every = st.number_input(t("transfer.unfreeze_every"), 0, 10_000, defaults.unfreeze_every,
                                         help=t("transfer.unfreeze_every_help"))
        probe_fraction = st.slider(t("transfer.probe_fraction"), 0.1, 0.9, defaults.probe_fraction, 0.1,
                                   help=t("transfer.probe_fraction_help"))
        image_size = st.select_slider(t("common.image_size"), [16, 32, 64, 96, 128], defaults.image_size,
                                      help=t("transfer.image_size_help"))
        seed = st.number_input(t("common.seed"), 0, 10_000, defaults.seed, help=t("transfer.seed_help"))

for key in strategies:
    with st.expander(strategy_title(key)):
        st.markdown(translate_or(f"strategy.{key}.explanation", STRATEGIES[key].explanation(), lang))

config = dict(defaults.to_dict(), encoder=encoder, backbone=backbone, dataset=dataset, strategies=strategies,
              fractions=fractions, epochs=int(epochs), lr=float(lr), freeze_stages=int(freeze_stages),
              lr_decay=float(lr_decay), unfreeze_every=int(unfreeze_every), probe_fraction=float(probe_fraction),
              image_size=int(image_size), seed=int(seed))
if st.button(t("transfer.compare"), type="primary", disabled=not encoder_ok, help=t("transfer.compare_help")):
    try:
        st.session_state["transfer_run_id"] = start_comparison(config, store, user=user)
        st.toast(t("transfer.queued"))
    except (DatasetError, ValueError, KeyError, PermissionError) as exc:
        st.error(t("common.cannot_start", detail=error_t(exc)))

past = comparison_runs(store, user)
if past:
    labels = {r.id: run_label(r) for r in past}
    current = st.session_state.get("transfer_run_id")
    chosen = st.selectbox(t("transfer.show"), list(labels), format_func=labels.get,
                          index=list(labels).index(current) if current in labels else 0, help=t("transfer.show_help"))
    st.session_state["transfer_shown"] = chosen


@live_fragment(run_every=refresh_seconds())
def live_view():
    run_id = st.session_state.get("transfer_shown")
    if not run_id:
        st.info(t("transfer.none"))
        return
    try:
        run = store.get_run(run_id)
    except RunNotFound:
        st.warning(t("transfer.deleted"))
        return
    cfg = run.config
    st.subheader(f"{cfg.get('encoder')} → {cfg.get('dataset')}")
    run_status(store, user, run, t("transfer.cancel_help"))
    curves = comparison_curves(store, run.id)
    left, right = st.columns(2)
    left.plotly_chart(curves_figure(curves["acc"], cfg.get("fractions", []), t("transfer.acc_title"), "accuracy",
                                    lang), width="stretch", key=f"acc_{run.id}")
    right.plotly_chart(curves_figure(curves["loss"], cfg.get("fractions", []), t("chart.loss_title"), "loss", lang),
                       width="stretch", key=f"loss_{run.id}")
    how_to_read("transfer_curves")
    rows = run.summary.get("table")
    if not rows:
        return
    left, right = st.columns(2)
    left.plotly_chart(label_efficiency_figure(rows, lang), width="stretch", key=f"eff_{run.id}")
    how_to_read("label_efficiency", left)
    right.plotly_chart(cost_figure(rows, lang), width="stretch", key=f"cost_{run.id}")
    how_to_read("cost", right)
    table = pd.DataFrame(rows)[["strategy", "fraction", "n_labels", "accuracy", "train_time_s", "trainable_params"]]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "strategy": st.column_config.TextColumn(t("transfer.col.strategy")),
        "fraction": st.column_config.NumberColumn(t("transfer.col.fraction"), format="percent"),
        "n_labels": st.column_config.NumberColumn(t("transfer.col.n_labels")),
        "accuracy": st.column_config.NumberColumn(t("chart.accuracy"), format="%.3f"),
        "train_time_s": st.column_config.NumberColumn(t("chart.train_time"), format="%.2f"),
        "trainable_params": st.column_config.NumberColumn(t("transfer.col.trainable_params"), format="%d")})
    st.download_button(t("transfer.csv"), results_csv(rows), file_name=f"transfer_{run.id}.csv", mime="text/csv",
                       help=t("transfer.csv_help"))
    st.subheader(t("transfer.recommendation"))
    st.markdown(run.summary.get("recommendation", ""))
    for note in run.summary.get("notes", []):
        st.caption(msg_t(note))


live_view()
