"""The metric-learning page's search: pick a finished run, query with a test image or an upload, see its
nearest neighbours (right or wrong class) and how many of the k share the query's class."""

from __future__ import annotations

import streamlit as st

from replearn_core.data import DatasetError
from replearn_core.escape import markdown_text
from replearn_core.metric.search import gallery, image_from_bytes, search
from replearn_core.runs import access
from ui.i18n import error_t, t
from ui.panels import Page


def search_panel(page: Page) -> None:
    finished = access.list_runs(page.store, page.user, kind="metric", status="finished")
    if not finished:
        st.info(t("ml.search_needs"))
        return
    labels = {f"{r.id} · {r.config.get('method')} · {r.config.get('dataset')}": r.id for r in finished}
    chosen = labels[st.selectbox(t("ml.run"), list(labels), help=t("ml.run_help"))]
    k = st.slider(t("ml.k"), 1, 20, 8, help=t("ml.k_help"))
    source = st.radio(t("ml.query"), ["pick", "upload"], horizontal=True, format_func=lambda q: t(f"ml.query_{q}"),
                      help=t("ml.query_help"))
    try:
        access.get_run(page.store, page.user, chosen)  # the gate (RunNotFound is a KeyError)
        g = gallery(chosen, page.store)
        if source == "pick":
            index = st.number_input(t("ml.index"), 0, len(g.labels) - 1, 0, help=t("ml.index_help"))
            query, label, exclude = g.images[int(index)], int(g.labels[int(index)]), int(index)
        else:
            upload = st.file_uploader(t("ml.upload"), type=["png", "jpg", "jpeg", "bmp", "webp"],
                                      help=t("ml.upload_help"))
            query, label, exclude = (image_from_bytes(upload.getvalue(), upload.name) if upload else None), None, None
        if query is None:
            return
        result = search(chosen, query, k=int(k), store=page.store, query_label=label, exclude_index=exclude)
        shown = query.permute(1, 2, 0).numpy() if hasattr(query, "permute") else query
        st.image(shown, width=96, caption=t("ml.query_caption") + (
            t("ml.query_class", name=markdown_text(g.class_names[label])) if label is not None else ""))
        st.image([n.image for n in result.neighbours], width=80,
                 caption=[("✅ " if n.correct else "❌ " if n.correct is False else "") +
                          markdown_text(f"{n.class_name} · d={n.distance:.2f}") for n in result.neighbours])
        if label is not None:
            hits = sum(bool(n.correct) for n in result.neighbours)
            st.caption(t("ml.hits", hits=hits, k=len(result.neighbours)))
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(t("ml.cannot_search", detail=markdown_text(error_t(exc))))
