"""Self-supervised lab: pick a method, press Train, watch it learn."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.data import DATASETS
from replearn_core.escape import markdown_text
from replearn_core.plots import collapse_figure, knn_figure, loss_figure
from replearn_core.runs import access
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.lab import lab_defaults, start_ssl_run
from replearn_core.ssl.methods import METHODS
from replearn_core.ssl.artifacts import method_states
from replearn_core.ssl.views import VIEWS, run_views
from ui.i18n import how_to_read, msg_t, t
from ui.links import link_runs, linked_run
from ui.options import option_controls
from ui.panels import card_t, live_run, method_card, open_page, start_button
from ui.pickers import dataset_picker
from ui.presets import preset_index
from ui.view_recipe import recipe_editor

page = open_page("lab.title")
linked = linked_run(page.store, page.user, "ssl")  # ?run=<id>: a reload or a link shows that run
defaults = lab_defaults()

with st.sidebar:
    st.header(t("lab.settings"))
    dataset = dataset_picker(t("lab.dataset"), list(DATASETS)[0], t("lab.dataset_help"))
    titles = {m: card_t(cls.card()).title for m, cls in METHODS.items()}
    method = st.selectbox(t("lab.method"), list(defaults), index=preset_index("method", list(defaults)),
                          format_func=titles.get, help=t("lab.method_help"))
    usable = [b for b in BACKBONES if defaults[method].backbones is None or b in defaults[method].backbones]
    backbone = st.selectbox(t("lab.backbone"), usable, index=usable.index(defaults[method].default_backbone),
                            key=f"backbone_{method}", help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    # epochs, batch, learning rate, τ (where the method has one), view size and seed, from the method's defaults;
    # then the method's own settings; a lesson's ?epochs=5 or ?stop_gradient=0 presets one
    values = option_controls(defaults[method].settings(), key=method, method="ssl")
    options = option_controls(defaults[method].options, key=f"option_{method}", method=method)

left, right = st.columns([3, 2])
with right:
    method_card(METHODS[method].card())

with left:
    st.subheader(t("lab.views"))
    recipe = recipe_editor(defaults[method], dataset, values["seed"])
    config = dict(TrainConfig().to_dict(), dataset=dataset, method=method, backbone=backbone, recipe=recipe,
                  options=options, **values)
    started = start_button(t("lab.train"), t("lab.train_help"),
                           lambda: start_ssl_run(config, page.store, user=page.user), "ssl_run_id", t("lab.queued"),
                           use_container_width=True)
    if started:
        link_runs([started])  # the URL names the run: a reload shows it again


@st.cache_data(max_entries=16, show_spinner=False)
def draw_view(view: str, run_id: str, newest_state: str, _store):
    """A view of a run's stored method, drawn again only when a newer state is stored."""
    picture, caption = VIEWS[view](_store, run_id)
    return picture.numpy(), caption


def show_progress(run):
    metrics = access.run_metrics(page.store, page.user, run.id)
    columns = st.columns(3)
    for chart, figure, column in (("loss", loss_figure, columns[0]), ("knn", knn_figure, columns[1]),
                                  ("collapse", collapse_figure, columns[2])):
        column.plotly_chart(figure(metrics, lang=page.lang), use_container_width=True, key=f"{chart}_{run.id}")
        how_to_read(chart, column)
    if "images_per_s" in metrics:
        st.caption(t("lab.speed", rate=f"{metrics['images_per_s'][1][-1]:.0f}", step=metrics["images_per_s"][0][-1]))
    views = run_views(page.store, run.id)
    if views:
        st.subheader(t("lab.draws"))
        for view, column in zip(views, st.columns(len(views))):
            with column:
                try:
                    picture, caption = draw_view(view, run.id, method_states(page.store, run.id)[-1].name, page.store)
                    st.image(picture, caption=msg_t(caption))
                except Exception as exc:  # noqa: BLE001 - a half-written or foreign state: say so, keep the page
                    st.warning(t("lab.cannot_draw", view=view, error=exc))


live_run(page, "ssl", "ssl_run_id", t("lab.no_run"),
         lambda run: t("lab.run_header", id=run.id, method=markdown_text(run.config.get("method")),
                       dataset=markdown_text(run.config.get("dataset"))),
         show_progress, linked_id=linked.id if linked else None)
