"""Self-supervised lab: pick a method, press Train, watch it learn."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.data import DATASETS, DatasetError
from replearn_core.plots import collapse_figure, knn_figure, loss_figure
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.lab import (augmentation_help, image_grid, method_cards, preview_views,
                              start_ssl_run)
from replearn_core.ssl.views import VIEWS, method_states, run_views
from ui.classroom import current_user
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, how_to_read, method_card_t, msg_t, t
from ui.links import link_runs, linked_run
from ui.options import option_controls
from ui.panels import method_card, run_status, shown_run
from ui.pickers import dataset_picker
from ui.presets import lesson_banner, preset, preset_index, preset_state
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("lab.title"))
lesson_banner()  # opened by a lesson: say which, with a way back
user = current_user()  # classroom mode: who is at this browser (a sign-in form until they say)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
linked = linked_run(store, "ssl")  # ?run=<id>: a reload or a link shows that run
cards = method_cards()
defaults = TrainConfig()

with st.sidebar:
    st.header(t("lab.settings"))
    dataset = dataset_picker(t("lab.dataset"), list(DATASETS)[0], t("lab.dataset_help"))
    titles = {m: method_card_t(c).title for m, c in cards.items()}
    method = st.selectbox(t("lab.method"), list(cards), index=preset_index("method", list(cards)),
                          format_func=titles.get, help=t("lab.method_help"))
    usable = [b for b in BACKBONES if cards[method].backbones is None or b in cards[method].backbones]
    backbone = st.selectbox(t("lab.backbone"), usable, index=usable.index(cards[method].default_backbone),
                            key=f"backbone_{method}", help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    preset_state(f"epochs_{method}", "epochs", cards[method].default_epochs)  # a lesson's ?epochs=, once
    epochs = st.slider(t("common.epochs"), 1, 100, cards[method].default_epochs, key=f"epochs_{method}",
                       help=t("lab.epochs_help"))
    batch_size = st.select_slider(t("common.batch_size"), [32, 64, 128, 256, 512, 1024],
                                  cards[method].default_batch_size, key=f"batch_size_{method}",
                                  help=t("lab.batch_help"))
    lr = st.number_input(t("common.learning_rate"), 1e-5, 1.0, preset("lr", defaults.lr), format="%.4f",
                         help=t("lab.lr_help"))
    temperature = st.slider(t("lab.temperature"), 0.05, 1.0, preset("temperature", defaults.temperature), 0.05,
                            help=t("lab.temperature_help"), disabled=not cards[method].uses_temperature)
    view_size = st.slider(t("lab.view_size"), 8, defaults.image_size, cards[method].default_view_size,
                          key=f"view_size_{method}", help=t("lab.view_size_help"))
    seed = st.number_input(t("common.seed"), 0, 10_000, preset("seed", 0), help=t("lab.seed_help"))
    # the method's own settings, translated; a lesson's ?stop_gradient=0 presets one
    options = option_controls(cards[method].options, key=f"option_{method}", method=method)

card = method_card_t(cards[method])
left, right = st.columns([3, 2])
with right:
    method_card(card.title, card.summary, card.formula, card.paper)
    if card.loss_doc:
        with st.expander(t("lab.loss_doc")):
            st.code(card.loss_doc.strip(), language="text")

with left:
    st.subheader(t("lab.views"))
    help_text = augmentation_help()
    dropped = preset("drop", "")  # a lesson's ?drop=color_jitter: the default recipe without that op
    default_rows = [row for row in card.default_recipe(dataset) if row["op"] not in dropped.split(",")]
    recipe = st.data_editor(
        default_rows, key=f"recipe_{method}_{dataset}_{dropped}", num_rows="dynamic", use_container_width=True,
        column_config={
            "op": st.column_config.SelectboxColumn(t("lab.recipe_op"), options=list(help_text), required=True,
                                                   help="; ".join(f"{k}: {v}" for k, v in help_text.items())),
            "p": st.column_config.NumberColumn(t("lab.recipe_p"), min_value=0.0, max_value=1.0, step=0.05,
                                               help=t("lab.recipe_p_help")),
            "strength": st.column_config.NumberColumn(t("lab.recipe_strength"), min_value=0.0, max_value=2.0, step=0.1,
                                                      help=t("lab.recipe_strength_help")),
        })
    try:
        originals, view1, view2 = preview_views(dataset, recipe, n=8, seed=int(seed))
        st.image(image_grid([originals, view1, view2]).numpy(),
                 caption=t("lab.preview_caption"))
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(t("lab.cannot_preview", error=error_t(exc)))

    config = dict(defaults.to_dict(), dataset=dataset, method=method, backbone=backbone, epochs=int(epochs),
                  batch_size=int(batch_size), lr=float(lr), temperature=float(temperature), seed=int(seed),
                  view_size=int(view_size), recipe=recipe, options=options)
    if st.button(t("lab.train"), type="primary", use_container_width=True, help=t("lab.train_help")):
        try:
            st.session_state["ssl_run_id"] = start_ssl_run(config, store, user=user)
            link_runs([st.session_state["ssl_run_id"]])  # the URL names the run: a reload shows it again
            st.toast(t("lab.queued"))
        except (DatasetError, ValueError, KeyError, PermissionError) as exc:
            st.error(t("common.cannot_start", detail=error_t(exc)))


@st.cache_data(max_entries=16, show_spinner=False)
def draw_view(view: str, run_id: str, newest_state: str, _store):
    """A view of a run's stored method, drawn again only when a newer state is stored."""
    picture, caption = VIEWS[view](_store, run_id)
    return picture.numpy(), caption


@live_fragment(run_every=refresh_seconds())
def live_view():
    run = shown_run(store, user, "ssl", "ssl_run_id", linked.id if linked else None)
    if run is None:
        st.info(t("lab.no_run"))
        return
    store.reap_dead()  # a run whose worker process died is marked failed, not shown running forever
    run = store.get_run(run.id)
    st.subheader(t("lab.run_header", id=run.id, method=run.config.get("method"), dataset=run.config.get("dataset")))
    run_status(store, user, run, t("lab.cancel_help"))
    metrics = store.metrics(run.id)
    c1, c2, c3 = st.columns(3)
    c1.plotly_chart(loss_figure(metrics, lang=lang), use_container_width=True, key=f"loss_{run.id}")
    c2.plotly_chart(knn_figure(metrics, lang=lang), use_container_width=True, key=f"knn_{run.id}")
    c3.plotly_chart(collapse_figure(metrics, lang=lang), use_container_width=True, key=f"collapse_{run.id}")
    for chart, column in (("loss", c1), ("knn", c2), ("collapse", c3)):
        how_to_read(chart, column)
    if "images_per_s" in metrics:
        st.caption(t("lab.speed", rate=f"{metrics['images_per_s'][1][-1]:.0f}", step=metrics["images_per_s"][0][-1]))
    views = run_views(store, run.id)
    if views:
        st.subheader(t("lab.draws"))
        for view, column in zip(views, st.columns(len(views))):
            with column:
                try:
                    picture, caption = draw_view(view, run.id, method_states(store, run.id)[-1].name, store)
                    st.image(picture, caption=msg_t(caption))
                except Exception as exc:  # noqa: BLE001 - a half-written or foreign state: say so, keep the page
                    st.warning(t("lab.cannot_draw", view=view, error=exc))


live_view()
