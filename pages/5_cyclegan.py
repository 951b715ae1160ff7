"""CycleGAN: walk apple ↔ orange translations at once, train a new run, watch the filmstrip grow."""

import streamlit as st

from replearn_core.cyclegan.config import SETTINGS, CycleGANConfig
from replearn_core.cyclegan.data import DATASET_SPECS
from replearn_core.cyclegan.lab import PAPER, filmstrip, loss_figure, start_run
from replearn_core.escape import markdown_text
from replearn_core.runs import access
from ui.cyclegan_walk import walk_panel
from ui.i18n import how_to_read, t
from ui.options import option_controls
from ui.panels import live_run, open_page, start_button
from ui.pickers import dataset_picker
from ui.presets import preset

page = open_page("cyclegan.title", t("cyclegan.caption") + " " + PAPER)
tab_names = {"walk": t("cyclegan.tab_walk"), "train": t("cyclegan.tab_train")}
# ?tab=train (a lesson's link) opens the training tab
walk_tab, train_tab = st.tabs(list(tab_names.values()),
                              default=tab_names.get(preset("tab", "walk"), tab_names["walk"]))

with walk_tab:
    walk_panel(page)


def show_training(run):
    metrics = access.run_metrics(page.store, page.user, run.id)
    st.plotly_chart(loss_figure(metrics, page.lang), width="stretch", key=f"cg_loss_{run.id}")
    how_to_read("cg_losses")
    if "images_per_s" in metrics:
        st.caption(t("cyclegan.speed", speed=f"{metrics['images_per_s'][1][-1]:.1f}",
                     step=metrics["images_per_s"][0][-1]))
    strip = filmstrip(page.store, run.id)
    if strip:
        step, latest = strip[-1]
        st.markdown(t("cyclegan.filmstrip", step=step))
        st.image(latest, width=360)
        st.image([path for _, path in strip[-12:]], width=110,
                 caption=[t("cyclegan.step", step=s) for s, _ in strip[-12:]])
        how_to_read("filmstrip")


with train_tab:
    settings, live = st.columns([1, 2])
    with settings:
        dataset = dataset_picker(t("cyclegan.data"), "fruit",
                                 "\n\n".join(f"**{k}**: {v}" for k, v in DATASET_SPECS.items()),
                                 names=["fruit", "apple2orange"], folder_help=t("cyclegan.folder_help"))
        # one control per declared setting (size, widths, epochs, λ, ...); a lesson's ?lambda_cycle=0 presets one
        values = option_controls(SETTINGS, key="cyclegan", method="cyclegan")
        config = dict(CycleGANConfig().to_dict(), dataset=dataset, **values)
        start_button(t("cyclegan.train"), t("cyclegan.train_help"), lambda: start_run(config, page.store, page.user),
                     "cyclegan_run_id", t("cyclegan.queued"), width="stretch")
    with live:
        live_run(page, "cyclegan", "cyclegan_run_id", t("cyclegan.no_run"),
                 lambda run: t("cyclegan.run_header", run_id=run.id, dataset=markdown_text(run.config.get("dataset")),
                               size=run.config.get("image_size")),
                 show_training, cancel_help=t("cyclegan.cancel_help"))
