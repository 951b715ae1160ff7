"""Incremental learning: learn a dataset's classes task after task, watch the old ones be forgotten, try remedies."""

import pandas as pd
import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.incremental import SETTINGS, STRATEGIES, IncrementalConfig
from replearn_core.incremental.lab import (average_figure, comparison_label, comparison_runs, encoder_runs,
                                           feature_map_figure, forgetting_figure, matrix_figure, reading, results_of,
                                           start_comparison)
from ui.common import run_label
from ui.i18n import t
from ui.options import option_controls
from ui.panels import card_t, live_run, open_page, start_button
from ui.pickers import dataset_picker
from ui.presets import preset, preset_index

page = open_page("inc.title", t("inc.caption"))
defaults = IncrementalConfig()
SCENARIOS = ["class", "task", "both"]
titles = {k: card_t(STRATEGIES[k].card()).title for k in STRATEGIES}  # texts made now, for format functions

with st.sidebar:
    st.header(t("lab.settings"))
    dataset = dataset_picker(t("inc.dataset"), defaults.dataset, t("inc.dataset_help"))
    scenario = st.radio(t("inc.scenario"), SCENARIOS, index=preset_index("scenario", SCENARIOS), horizontal=True,
                        format_func={s: t(f"inc.scenario.{s}") for s in SCENARIOS}.get, help=t("inc.scenario_help"))
    strategies = st.multiselect(t("inc.strategies"), list(STRATEGIES),
                                preset("strategies", defaults.strategies,
                                       choices=lambda v: bool(v) and set(v) <= set(STRATEGIES)),
                                format_func=titles.get, help=t("inc.strategies_help"))
    values = option_controls(SETTINGS, "inc", method="incremental")  # tasks, epochs per task, learning rate, seed
    with st.expander(t("inc.strategy_settings")):  # the chosen strategies' own settings, as each declares them
        for key in strategies:
            values |= option_controls(STRATEGIES[key].options, "inc", method=key)
    with st.expander(t("inc.start_from")):  # random weights, or a finished run's encoder this user may see
        runs = {r.id: r for r in encoder_runs(page.store, page.user)}
        starts = {"random": t("inc.encoder_random")} | {i: run_label(r, status=False) for i, r in runs.items()}
        encoder = st.selectbox(t("inc.encoder"), list(starts), format_func=starts.get, help=t("inc.encoder_help"))
        backbone = st.selectbox(t("lab.backbone"), list(BACKBONES), list(BACKBONES).index(defaults.backbone),
                                help=t("inc.backbone_help"), disabled=encoder != "random")
        # digits' own 8 px by default, 32 for other images, an encoder run's own size when starting from one
        own_size = runs[encoder].config.get("image_size") if encoder in runs else None
        size = own_size or (defaults.image_size if dataset == defaults.dataset else 32)
        image_size = st.select_slider(t("common.image_size"), [8, 16, 32, 64], size if size in (8, 16, 32, 64) else 32,
                                      key=f"inc_size_{encoder}_{dataset}", help=t("inc.image_size_help"))

st.markdown(t("inc.scenarios_explained"))
for key in strategies:
    card = card_t(STRATEGIES[key].card())
    with st.expander(card.title):
        st.markdown(card.summary)
        st.latex(card.formula)
        st.caption(card.paper)

config = dict(defaults.to_dict(), dataset=dataset, scenario=scenario, strategies=strategies, encoder=encoder,
              backbone=backbone, image_size=int(image_size), **values)
start_button(t("inc.compare"), t("inc.compare_help"), lambda: start_comparison(config, page.store, page.user),
             "inc_run_id", t("inc.queued"))

past = comparison_runs(page.store, page.user)
if past:
    labels = {r.id: comparison_label(r) for r in past}
    current = st.session_state.get("inc_run_id")
    st.session_state["inc_run_id"] = st.selectbox(t("inc.show"), list(labels), format_func=labels.get,
                                                  index=list(labels).index(current) if current in labels else 0,
                                                  help=t("inc.show_help"))


def show_results(run):
    results = results_of(run, page.store, page.user)
    n_tasks = int(run.config.get("n_tasks", defaults.n_tasks))
    if run.summary.get("tasks"):
        st.caption(t("inc.tasks_are", tasks=" · ".join(f"{i + 1}: {', '.join(names)}"
                                                        for i, names in enumerate(run.summary["tasks"]))))
    for scenario_key, by_strategy in results.items():
        st.subheader(t(f"inc.scenario.{scenario_key}"))
        left, right = st.columns(2)
        left.plotly_chart(average_figure(by_strategy, n_tasks, t("inc.average_title"), t("inc.after_task"),
                                         t("inc.average_accuracy"), titles), width="stretch",
                          key=f"avg_{run.id}_{scenario_key}")
        right.plotly_chart(forgetting_figure(by_strategy, t("inc.forgetting_title"), t("inc.task"),
                                             t("inc.forgetting"), titles), width="stretch",
                           key=f"fgt_{run.id}_{scenario_key}")
        line = reading(by_strategy, page.lang)
        if line:
            st.caption(line)
        chosen = st.radio(t("inc.matrix_of"), list(by_strategy), horizontal=True, format_func=titles.get,
                          key=f"pick_{run.id}_{scenario_key}", help=t("inc.matrix_help"))
        done = len(by_strategy[chosen]["matrix"])
        left, right = st.columns(2)
        left.plotly_chart(matrix_figure(by_strategy[chosen]["matrix"], n_tasks, t("inc.matrix_title"),
                                        row_label=t("inc.after_task"), column_label=t("inc.tested_on")),
                          width="stretch", key=f"matrix_{run.id}_{scenario_key}")
        after = right.slider(t("inc.map_after"), 1, max(done, 2), done, key=f"map_{run.id}_{scenario_key}",
                             help=t("inc.map_help"), disabled=done < 2)
        fig = feature_map_figure(page.store, run.id, scenario_key, chosen, after, title=t("inc.map_title", task=after),
                                 user=page.user)
        if fig is not None:
            right.plotly_chart(fig, width="stretch", key=f"fmap_{run.id}_{scenario_key}_{chosen}")
    if run.status == "finished" and run.summary.get("table"):
        st.dataframe(pd.DataFrame(run.summary["table"]), hide_index=True, width="stretch", column_config={
            "scenario": st.column_config.TextColumn(t("inc.scenario")),
            "strategy": st.column_config.TextColumn(t("inc.strategy")),
            "average_accuracy": st.column_config.NumberColumn(t("inc.average_accuracy"), format="%.3f"),
            "mean_forgetting": st.column_config.NumberColumn(t("inc.forgetting"), format="%.3f"),
            "bwt": st.column_config.NumberColumn(t("inc.bwt"), format="%+.3f"),
            "train_time_s": st.column_config.NumberColumn(t("chart.train_time"), format="%.1f")})


live_run(page, "incremental", "inc_run_id", t("inc.none"),
         lambda run: t("inc.run_header", id=run.id, dataset=run.config.get("dataset"),
                       tasks=run.config.get("n_tasks")), show_results)
