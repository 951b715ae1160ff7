"""The feature-maps page's map: one projection of a run's features with the images under the points, its scores,
the images of a selection and the exports (coordinates CSV, TensorBoard projector TSVs)."""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

from replearn_core.checkpoints import CheckpointError
from replearn_core.data import DatasetError
from replearn_core.escape import markdown_text
from replearn_core.projection import FeatureMapError, coordinates_csv, map_images, map_run, projector_tsv
from replearn_core.projection.figures import animation_figure, hover_map_html, map_figure, selected_positions
from ui.i18n import error_t, how_to_read, msg_t, t
from ui.panels import Page


def draw_map(page: Page, column, source: str, method: str, params: dict, points: int, split: str, animate: bool,
             slot: int) -> None:
    """One map in its column: the projection of ``source``'s features (a run id, ``init`` or ``init:<run>``),
    its timing and notes, the animation when asked, the hover and select tabs, the four scores under it, the
    selected images and the exports."""
    try:
        fmap = map_run(page.store, source, method, params, max_points=points, split=split,
                       snapshot_every=25 if animate else 0, user=page.user)
    except (FeatureMapError, DatasetError, CheckpointError, ValueError, KeyError) as exc:  # KeyError: RunNotFound
        column.error(markdown_text(error_t(exc)))
        return
    # names below come from the run and its dataset (folder names a student chose): text, never markup
    column.markdown(f"**{markdown_text(fmap.source_label)}** · {markdown_text(fmap.checkpoint)} · "
                    + t("maps.points_time", n=f"{len(fmap.coords):,}", seconds=f"{fmap.wall_s:.1f}")
                    + (t("maps.cached") if fmap.cached else ""))
    for note in fmap.notes:
        column.caption(markdown_text(msg_t(note)))
    if animate and fmap.history:
        column.plotly_chart(animation_figure(fmap), width="stretch", key=f"anim_{slot}")
        how_to_read("map_animation", column)
    hover_tab, select_tab = column.tabs([t("maps.tab_hover"), t("maps.tab_select")])
    with hover_tab:
        components.html(hover_map_html(fmap, map_images(fmap, range(len(fmap.coords)))), height=540)
        st.caption(t("maps.hover_hint"))
    with select_tab:
        event = st.plotly_chart(map_figure(fmap, lang=page.lang), width="stretch", key=f"map_{slot}",
                                on_select="rerun", selection_mode=("points", "box", "lasso"))
    how_to_read("map", column)
    s = fmap.scores

    def fmt(name):
        return t("maps.na") if s.get(name) is None else f"{s[name]:.3f}"

    on_features = t("maps.on_features", heldout=f"{s.get('heldout_images') or 0:,}",
                    bank=f"{s.get('bank_images') or 0:,}")
    m = column.columns(4)
    m[0].metric(t("maps.knn"), fmt("knn_accuracy"), help=on_features + " " + t("maps.knn_help", k=s.get("knn_k") or 20))
    m[1].metric(t("maps.probe"), fmt("linear_probe_accuracy"), help=on_features + " " + t("maps.probe_help"))
    m[2].metric(t("maps.nmi"), fmt("kmeans_nmi"), help=on_features + " " + t("maps.nmi_help"))
    m[3].metric(t("maps.silhouette"), fmt("map_silhouette"), help=t("maps.silhouette_help"))
    picked = selected_positions(fmap, event.selection if event else None)
    if picked:
        column.markdown(t("maps.selected", n=len(picked)))
        images = map_images(fmap, picked[:60])
        names = [markdown_text(f"{fmap.class_names[int(fmap.labels[p])]} #{int(fmap.indices[p])}") for p in picked[:60]]
        column.image([img.permute(1, 2, 0).numpy() for img in images], caption=names, width=64)
    else:
        column.caption(t("maps.select_hint"))
    with column.expander(t("maps.export")):
        # callables: the files are built only when a button is clicked, not on every redraw
        st.download_button(t("maps.csv"), lambda: coordinates_csv(fmap.coords, fmap.labels, fmap.class_names,
                                                                  fmap.indices),
                           f"{fmap.method}_{slot}.csv", "text/csv", key=f"csv_{slot}", help=t("maps.csv_help"))
        st.download_button("features.tsv", lambda: projector_tsv(fmap.features, fmap.labels, fmap.class_names,
                                                                 fmap.indices)[0],
                           "features.tsv", key=f"ftsv_{slot}",
                           help=t("maps.features_help"))
        st.download_button("metadata.tsv", lambda: projector_tsv(fmap.features[:, :1], fmap.labels,
                                                                 fmap.class_names, fmap.indices)[1],
                           "metadata.tsv", key=f"mtsv_{slot}",
                           help=t("maps.metadata_help"))
