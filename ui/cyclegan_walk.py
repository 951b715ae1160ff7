"""The CycleGAN page's walk tab: pick a model (the bundled one, the published one once downloaded, a run) and a
checkpoint, translate a test image or an uploaded photo both ways, see its history and a gallery."""

from __future__ import annotations

import streamlit as st

from replearn_core.cyclegan import published
from replearn_core.cyclegan.lab import FORMULA, checkpoint_label, gallery, walk_view
from replearn_core.cyclegan.walk import BUNDLED, list_sources, model_info
from replearn_core.escape import markdown_text
from replearn_core.runs import access
from ui.i18n import error_t, how_to_read, msg_t, t
from ui.panels import Page


def model_picker(page: Page) -> str:
    """The model to walk, with a button that downloads the published generators when they are not here yet."""
    sources = list_sources(page.store, page.user) or [BUNDLED]
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
    return source


def walk_panel(page: Page) -> None:
    source = model_picker(page)
    try:
        if source not in (BUNDLED, published.SOURCE):  # a run: through the access gate
            access.get_run(page.store, page.user, source)
        info = model_info(source, page.store)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        st.error(t("cyclegan.cannot_load", detail=error_t(exc)))
        return
    st.info(markdown_text(info.description))  # a run's names its dataset folder: text, not markup
    labels = {checkpoint_label(c, page.lang): c.name for c in info.checkpoints}
    chosen_label = st.select_slider(t("cyclegan.history"), list(labels), value=list(labels)[-1],
                                    help=t("cyclegan.history_help"))
    pick, upload_col = st.columns(2)
    image_index = pick.number_input(t("cyclegan.test_image"), 0, 7, 0, help=t("cyclegan.test_image_help"))
    upload = upload_col.file_uploader(t("cyclegan.upload"), help=t("cyclegan.upload_help",
                                                                    size=info.config.image_size))
    try:
        view = walk_view(source, int(image_index), upload.getvalue() if upload else None,
                         upload.name if upload else "", labels[chosen_label], page.store, lang=page.lang)
    except ValueError as exc:
        st.error(error_t(exc))
        return
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
        for title, (reals, fakes) in gallery(source, labels[chosen_label], 8, page.store, lang=page.lang).items():
            st.markdown(f"**{markdown_text(title)}**")
            st.image(reals, width=80)
            st.image(fakes, width=80)
    with st.expander(t("cyclegan.objective")):
        st.latex(FORMULA)
        st.markdown(t("cyclegan.objective_text"))
