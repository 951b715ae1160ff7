"""Transfer learning: start from a pretrained encoder, compare fine-tuning strategies side by side."""

import streamlit as st

from replearn_core.escape import markdown_text
from replearn_core.transfer import STRATEGIES, TransferConfig
from replearn_core.transfer.lab import comparison_runs, run_label, start_comparison, start_source_run
from ui.i18n import t
from ui.options import option_controls
from ui.panels import card_t, live_run, open_page, start_button
from ui.pickers import dataset_picker, encoder_picker
from ui.presets import preset
from ui.transfer_results import comparison_results

page = open_page("transfer.title", t("transfer.caption"))
defaults = TransferConfig()
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


def strategy_title(key: str) -> str:
    return card_t(STRATEGIES[key].card()).title


with st.sidebar:
    st.header(t("transfer.encoder"))
    encoder, backbone, encoder_ok = encoder_picker(page.store, page.user)
    start_button(t("transfer.train_source"), t("transfer.train_source_help"),
                 lambda: start_source_run(store=page.store, user=page.user), "transfer_source_id",
                 t("transfer.source_queued"), type="secondary")

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
        # the chosen strategies' own settings (partial's k, llrd's γ, ...), as each declares them
        options = {name: value for key in strategies
                   for name, value in option_controls(STRATEGIES[key].options, "transfer", method=key).items()}
        image_size = st.select_slider(t("common.image_size"), [16, 32, 64, 96, 128], defaults.image_size,
                                      help=t("transfer.image_size_help"))
        seed = st.number_input(t("common.seed"), 0, 10_000, defaults.seed, help=t("transfer.seed_help"))

for card in (card_t(STRATEGIES[key].card()) for key in strategies):
    with st.expander(card.title):
        st.markdown(card.summary)

config = dict(defaults.to_dict(), encoder=encoder, backbone=backbone, dataset=dataset, strategies=strategies,
              fractions=fractions, epochs=int(epochs), lr=float(lr), image_size=int(image_size), seed=int(seed),
              **options)
start_button(t("transfer.compare"), t("transfer.compare_help"), lambda: start_comparison(config, page.store, page.user),
             "transfer_run_id", t("transfer.queued"), disabled=not encoder_ok)

past = comparison_runs(page.store, page.user)
if past:
    labels = {r.id: run_label(r) for r in past}
    current = st.session_state.get("transfer_run_id")
    st.session_state["transfer_run_id"] = st.selectbox(
        t("transfer.show"), list(labels), format_func=labels.get,
        index=list(labels).index(current) if current in labels else 0, help=t("transfer.show_help"))

live_run(page, "transfer", "transfer_run_id", t("transfer.none"),
         lambda run: f"{markdown_text(run.config.get('encoder'))} → {markdown_text(run.config.get('dataset'))}",
         lambda run: comparison_results(page, run), cancel_help=t("transfer.cancel_help"))
