"""Incremental learning: learn a dataset's classes task after task, watch the old ones be forgotten, try remedies."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.incremental import SETTINGS, STRATEGIES, IncrementalConfig
from replearn_core.incremental.lab import comparison_label, comparison_runs, encoder_runs, start_comparison
from ui.common import run_label
from ui.i18n import t
from ui.incremental_results import comparison_results
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


live_run(page, "incremental", "inc_run_id", t("inc.none"),
         lambda run: t("inc.run_header", id=run.id, dataset=run.config.get("dataset"),
                       tasks=run.config.get("n_tasks")), lambda run: comparison_results(page, run, titles))
