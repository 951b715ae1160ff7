"""CycleGAN: walk apple ↔ orange translations at once, train a new run, watch the filmstrip grow."""

import streamlit as st

from replearn_core.cyclegan.config import IMAGE_SIZES, CycleGANConfig
from replearn_core.cyclegan.data import DATASET_SPECS
from replearn_core.cyclegan.lab import (FORMULA, PAPER, checkpoint_label, filmstrip, gallery,
                                        loss_figure, start_run, walk_view)
from replearn_core.cyclegan import published
from replearn_core.cyclegan.walk import BUNDLED, list_sources, model_info
from replearn_core.data.base import DatasetError
from ui.classroom import current_user
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.i18n import current_language, error_t, how_to_read, msg_t, t
from ui.panels import run_status, shown_run
from ui.pickers import dataset_picker
from ui.presets import lesson_banner, preset
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
st.title(t("cyclegan.title"))
st.caption(t("cyclegan.caption") + " " + PAPER)
lesson_banner()  # opened by a lesson: say which, with a way back
user = current_user()  # classroom mode: who is at this browser (a sign-in form until they say)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = CycleGANConfig()
tab_names = {"walk": t("cyclegan.tab_walk"), "train": t("cyclegan.tab_train")}
# ?tab=train (a lesson's link) opens the training tab
walk_tab, train_tab = st.tabs(list(tab_names.values()),
                              default=tab_names.get(preset("tab", "walk"), tab_names["walk"]))

with walk_tab:
    sources = list_sources(store, user) or [BUNDLED]
    source_labels = {s: t("cyclegan.bundled") if s == BUNDLED else t("cyclegan.published")
                     if s == published.SOURCE else t("cyclegan.run", run_id=s) for s in sources}
    source = st.selectbox(t("cyclegan.model"), sources, format_func=source_labels.get,
                          help=t("cyclegan.model_help"))
    if not published.is_downloaded() and st.button(t("cyclegan.get_published"), help=t("cyclegan.get_published_help")):
        bar = st.progress(0.0, text=t("cyclegan.downloading"))
        try:
            published.download_published(progress=lambda done, total: bar.progress(
                min(1.0, done / total) if total else 0.0, text=t("cyclegan.downloading")))
            st.success(t("cyclegan.downloaded", label=t("cyclegan.published")))
            st.rerun()
        except Exception as exc:  # noqa: BLE001 - offline, a damaged file: say so, keep the page
            st.error(t("cyclegan.download_failed", detail=error_t(exc)))
    try:
        info = model_info(source, store)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        st.error(t("cyclegan.cannot_load", detail=error_t(exc)))
        st.stop()
    st.info(info.description)
    labels = {checkpoint_label(c, lang): c.name for c in info.checkpoints}
    chosen_label = st.select_slider(t("cyclegan.history"), list(labels), value=list(labels)[-1],
                                    help=t("cyclegan.history_help"))
    pick, upload_col = st.columns(2)
    image_index = pick.number_input(t("cyclegan.test_image"), 0, 7, 0, help=t("cyclegan.test_image_help"))
    upload = upload_col.file_uploader(t("cyclegan.upload"), help=t("cyclegan.upload_help",
                                                                    size=info.config.image_size))
    try:
        view = walk_view(source, int(image_index), upload.getvalue() if upload else None,
                         upload.name if upload else "", labels[chosen_label], store, lang=lang)
    except ValueError as exc:
        st.error(error_t(exc))
        st.stop()
    if view.note:
        st.warning(msg_t(view.note))
    if upload and source == BUNDLED:  # the bundled model says what it is beside a user's photo
        st.warning(t("cyclegan.bundled_on_photo"), icon="🍎")
    for row in view.rows:
        st.markdown(f"**{row.title}** · {chosen_label}")
        st.image([row.real, row.translated, row.reconstructed], width=160,
                 caption=[t("cyclegan.real"), t("cyclegan.translated"), t("cyclegan.reconstructed")])
    how_to_read("cg_walk")
    with st.expander(view.history_title, expanded=True):
        st.image([img for _, img in view.history], width=110, caption=[label for label, _ in view.history])
    with st.expander(t("cyclegan.gallery")):
        for title, (reals, fakes) in gallery(source, labels[chosen_label], 8, store, lang=lang).items():
            st.markdown(f"**{title}**")
            st.image(reals, width=80)
            st.image(fakes, width=80)
    with st.expander(t("cyclegan.objective")):
        st.latex(FORMULA)
        st.markdown(t("cyclegan.objective_text"))

with train_tab:
    settings, live = st.columns([1, 2])
    with settings:
        dataset = dataset_picker(t("cyclegan.data"), "fruit",
                                 "\n\n".join(f"**{k}**: {v}" for k, v in DATASET_SPECS.items()),
                                 names=["fruit", "apple2orange"], folder_help=t("cyclegan.folder_help"))
        image_size = st.select_slider(t("common.image_size"), IMAGE_SIZES,
                                      preset("image_size", defaults.image_size, choices=IMAGE_SIZES.__contains__),
                                      help=t("cyclegan.image_size_help"))
        ngf = st.select_slider(t("cyclegan.ngf"), [8, 16, 32, 64], defaults.ngf, help=t("cyclegan.ngf_help"))
        n_blocks = st.radio(t("cyclegan.blocks"), [6, 9], horizontal=True, help=t("cyclegan.blocks_help"))
        epochs = st.slider(t("common.epochs"), 1, 50, preset("epochs", defaults.epochs, choices=lambda v: 1 <= v <= 50),
                           help=t("cyclegan.epochs_help"))
        max_images = st.select_slider(t("cyclegan.max_images"), [50, 100, 200, 400, 1000], defaults.max_train_images,
                                      help=t("cyclegan.max_images_help"))
        batch_size = st.select_slider(t("common.batch_size"), [1, 2, 4, 8, 16], defaults.batch_size,
                                      help=t("cyclegan.batch_size_help"))
        lr = st.number_input(t("common.learning_rate"), 1e-5, 1e-2, defaults.lr, format="%.5f", help=t("cyclegan.lr_help"))
        lambda_cycle = st.slider(t("cyclegan.lambda_cycle"), 0.0, 20.0,
                                 preset("lambda_cycle", defaults.lambda_cycle, choices=lambda v: 0 <= v <= 20), 0.5,
                                 help=t("cyclegan.lambda_cycle_help"))
        lambda_identity = st.slider(t("cyclegan.lambda_identity"), 0.0, 1.0,
                                    preset("lambda_identity", defaults.lambda_identity, choices=lambda v: 0 <= v <= 1),
                                    0.1, help=t("cyclegan.lambda_identity_help"))
        pool_size = st.slider(t("cyclegan.pool"), 0, 100, defaults.pool_size, help=t("cyclegan.pool_help"))
        sample_every = st.slider(t("cyclegan.sample_every"), 5, 200, defaults.sample_every, 5,
                                 help=t("cyclegan.sample_every_help"))
        config = dict(defaults.to_dict(), dataset=dataset, image_size=int(image_size), ngf=int(ngf),
                      n_blocks=int(n_blocks), epochs=int(epochs), max_train_images=int(max_images),
                      batch_size=int(batch_size), lr=float(lr), lambda_cycle=float(lambda_cycle),
                      lambda_identity=float(lambda_identity), pool_size=int(pool_size), sample_every=int(sample_every))
        if st.button(t("cyclegan.train"), type="primary", width="stretch", help=t("cyclegan.train_help")):
            try:
                st.session_state["cyclegan_run_id"] = start_run(config, store, user=user)
                st.toast(t("cyclegan.queued"))
            except (DatasetError, ValueError, KeyError, PermissionError) as exc:
                st.error(t("common.cannot_start", detail=error_t(exc)))

    with live:
        @live_fragment(run_every=refresh_seconds())
        def live_view():
            run = shown_run(store, user, "cyclegan", "cyclegan_run_id")
            if run is None:
                st.info(t("cyclegan.no_run"))
                return
            run = store.get_run(run.id)
            st.subheader(t("cyclegan.run_header", run_id=run.id, dataset=run.config.get("dataset"),
                           size=run.config.get("image_size")))
            run_status(store, user, run, t("cyclegan.cancel_help"))
            metrics = store.metrics(run.id)
            st.plotly_chart(loss_figure(metrics, lang), width="stretch", key=f"cg_loss_{run.id}")
            how_to_read("cg_losses")
            if "images_per_s" in metrics:
                st.caption(t("cyclegan.speed", speed=f"{metrics['images_per_s'][1][-1]:.1f}",
                             step=metrics["images_per_s"][0][-1]))
            strip = filmstrip(store, run.id)
            if strip:
                step, latest = strip[-1]
                st.markdown(t("cyclegan.filmstrip", step=step))
                st.image(latest, width=360)
                st.image([path for _, path in strip[-12:]], width=110,
                         caption=[t("cyclegan.step", step=s) for s, _ in strip[-12:]])
                how_to_read("filmstrip")

        live_view()
