"""The feature-maps page's map: one projection of a run's features in the map viewer (hover for images, click for
neighbours in feature space, box or lasso selection, density, cluster labels, search), its scores, the selection's
images with their class counts and exports, and the whole map's exports (coordinates CSV, projector TSVs).

The viewer (``replearn_core/projection/viewer/index.html``) is a Streamlit component of our own: plain HTML and
JavaScript that speaks Streamlit's component messages, served by this server (no CDN, nothing fetched). It returns
what the student did as its value, ``{"seq", "clicked", "selection", "want"}``; :func:`viewer_reply` answers with
the clicked point's neighbours and the images asked for, sent back as the component's ``reply`` argument.

First frame first: a map's points are sent without its sprite sheet, and the sheet follows on the next rerun
(:func:`draw_map` returns the work that makes it; the page runs it after every map is drawn, then reruns). The
first map of a reference run with the page's defaults is the one the run ships (``map_run(..., shipped=True)``):
nothing is encoded, projected or scored before it is drawn; its features are encoded only when a click or an
export needs them (:func:`~replearn_core.projection.maps.ensure_features`).
"""

from __future__ import annotations

import inspect

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

from replearn_core.checkpoints import CheckpointError
from replearn_core.data import DatasetError
from replearn_core.escape import markdown_text
from replearn_core.i18n import Message
from replearn_core.projection import (PROJECTIONS, FeatureMapError, SelectionError, coordinates_csv, map_images,
                                      map_run, point_neighbours, projector_tsv, selection_csv, selection_summary,
                                      selection_zip)
from replearn_core.projection.explore import MAX_EXPORT_IMAGES
from replearn_core.projection.maps import ensure_features
from replearn_core.projection.figures import (SPRITES_UP_TO, VIEWER_DIR, animation_figure, map_key, thumbnails,
                                              viewer_data)
from ui.i18n import error_t, how_to_read, msg_t, t
from ui.panels import Page

_viewer = components.declare_component("feature_map_viewer", path=str(VIEWER_DIR))
NEIGHBOURS_K = 8  # neighbours shown for a clicked point
PREFETCH = 48  # images sent with a hovered one: its nearest on the map, so the next hovers find them
MAX_WANT = 64  # images one request may ask for
GRID_IMAGES = 60  # images of a selection shown under the map


@st.cache_data(max_entries=6, show_spinner=False)
def _data(_fmap, key: str, lang: str, height: int, sprites: bool = True) -> dict:
    """The viewer's data for one map (cached by the map's key: a rerun resends it but never rebuilds it); with
    ``sprites`` False, without the sprite sheet (the first frame: no dataset to load, no sheet to build)."""
    images = None
    if sprites and len(_fmap.coords) <= SPRITES_UP_TO:
        images = map_images(_fmap, np.arange(len(_fmap.coords)))
    return viewer_data(_fmap, images, height=height, lang=lang)


def _with_sprites(fmap, key: str) -> bool:
    """Whether the map's sprite sheet is built (cached) already, so this frame may carry it."""
    return len(fmap.coords) > SPRITES_UP_TO or st.session_state.get("map_sprites", {}).get(key) is True


def _positions(value, n: int, limit: int | None = None) -> list[int]:
    """Integer map positions in [0, n) from the browser's value (anything else is dropped)."""
    if not isinstance(value, list):
        return []
    out = [int(v) for v in value if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n]
    return out[:limit] if limit else out


def viewer_reply(fmap, value, has_sprites: bool, store=None) -> dict:
    """What the viewer asked for, answered: the clicked point's neighbours in feature space (the same cosine kNN
    as the run's score: :func:`point_neighbours`) with their images, and the images it wants to show (a hovered
    point and its nearest on the map, when the map carries no sprite sheet). ``value`` comes from the browser:
    anything but map positions in range is ignored. A shipped map's features are encoded at the first click
    (``store``: where the run is)."""
    value = value if isinstance(value, dict) else {}
    n = len(fmap.coords)
    reply = {"seq": value.get("seq") if isinstance(value.get("seq"), int) else 0, "thumbs": {}}
    want = _positions(value.get("want"), n, MAX_WANT)
    clicked = _positions([value.get("clicked")], n)
    if clicked:
        if fmap.features is None:
            ensure_features(store, fmap)
        nb = point_neighbours(fmap, clicked[0], k=NEIGHBOURS_K)
        reply["neighbours"] = nb.to_json(fmap.class_names)
        want += [clicked[0]] + [int(p) for p in nb.positions]
    if want and not has_sprites:
        near = []
        if len(want) == 1 and n > 1:  # a hover: send the points around it too
            d2 = ((fmap.coords - fmap.coords[want[0]]) ** 2).sum(1)
            near = np.argsort(d2)[:PREFETCH].tolist() if n <= PREFETCH else np.argpartition(d2, PREFETCH)[:PREFETCH].tolist()
        reply["thumbs"] = thumbnails(fmap, list(dict.fromkeys(want + near)))
    elif want:
        reply["thumbs"] = thumbnails(fmap, list(dict.fromkeys(want)))  # neighbours drawn larger than a sprite
    return reply


def all_parameters(fmap) -> dict:
    """Every parameter of the estimator that drew the map: its defaults, then what the map was made with (the
    names are those of the estimator's ``__init__``, which follow umap-learn's and scikit-learn's)."""
    estimator = PROJECTIONS[fmap.method].estimator
    params = {name: p.default for name, p in inspect.signature(estimator.__init__).parameters.items()
              if name != "self" and p.default is not inspect.Parameter.empty}
    params.update(fmap.params)
    return params


def draw_map(page: Page, column, source: str, method: str, params: dict, points: int, split: str, animate: bool,
             slot: int, height: int = 520):
    """One map in its column: the projection of ``source``'s features (a run id, ``init`` or ``init:<run>``),
    its timing and notes, the animation when asked, the viewer, the four scores under it, the selection's images
    and the exports. While t-SNE or UMAP is being compiled the map is PCA, said so; the page redraws it.

    Returns None, or the work that builds the map's sprite sheet when this frame went without it: the page runs
    it once every map is drawn, then reruns, and the viewer adds the images to the map it shows."""
    try:
        fmap = map_run(page.store, source, method, params, max_points=points, split=split,
                       snapshot_every=25 if animate else 0, user=page.user, fallback="pca", shipped=True)
    except (FeatureMapError, DatasetError, CheckpointError, ValueError, KeyError) as exc:  # KeyError: RunNotFound
        column.error(markdown_text(error_t(exc)))
        return None
    # names below come from the run and its dataset (folder names a student chose): text, never markup
    column.markdown(f"**{markdown_text(fmap.source_label)}** · {markdown_text(fmap.checkpoint)} · "
                    + t("maps.points_time", n=f"{len(fmap.coords):,}", seconds=f"{fmap.wall_s:.1f}")
                    + (t("maps.cached") if fmap.cached else ""))
    if fmap.fallback_from:
        column.info(t("maps.waiting", method=PROJECTIONS[fmap.fallback_from].title,
                      fallback=PROJECTIONS[fmap.method].title))
    for note in fmap.notes:
        if fmap.fallback_from and getattr(note, "code", None) == "maps.fallback":
            continue  # said by the line above
        column.caption(markdown_text(msg_t(note)))
    if fmap.groups is not None:
        column.caption(t("maps.colour_groups"))
    if animate and fmap.history:
        column.plotly_chart(animation_figure(fmap), width="stretch", key=f"anim_{slot}")
        how_to_read("map_animation", column)
    key = f"viewer_{slot}"
    drawn = map_key(fmap)
    sprites = _with_sprites(fmap, drawn)
    data = _data(fmap, drawn, page.lang, height, sprites)
    value = st.session_state.get(key)
    if isinstance(value, dict) and value.get("key") not in (None, data["key"]):
        value = None
    with column:
        try:
            reply = viewer_reply(fmap, value, "sprites" in data, page.store)
        except (SelectionError, DatasetError, FeatureMapError, CheckpointError) as exc:
            reply = {}
            st.error(markdown_text(error_t(exc)))
        value = _viewer(data=data, reply=reply, key=key, default=None, height=height + 150)
        st.caption(t("maps.viewer_hint"))
    how_to_read("map", column)
    _scores(column, fmap.scores)
    _selection(column, fmap, value, slot)
    with column.expander(t("maps.export")):
        # callables: the files are built only when a button is clicked, not on every redraw
        st.download_button(t("maps.csv"), lambda: coordinates_csv(fmap.coords, fmap.labels, fmap.class_names,
                                                                  fmap.indices),
                           f"{fmap.method}_{slot}.csv", "text/csv", key=f"csv_{slot}", help=t("maps.csv_help"),
                           on_click="ignore")
        st.download_button("features.tsv", lambda: projector_tsv(ensure_features(page.store, fmap).features,
                                                                 fmap.labels, fmap.class_names, fmap.indices)[0],
                           "features.tsv", key=f"ftsv_{slot}", on_click="ignore",
                           help=t("maps.features_help"))
        st.download_button("metadata.tsv", lambda: projector_tsv(np.zeros((len(fmap.labels), 1), np.float32),
                                                                 fmap.labels, fmap.class_names, fmap.indices)[1],
                           "metadata.tsv", key=f"mtsv_{slot}", on_click="ignore",
                           help=t("maps.metadata_help"))
    shown = ", ".join(f"{name}={value!r}" for name, value in all_parameters(fmap).items())
    column.caption(t("maps.all_params", title=PROJECTIONS[fmap.method].title, params=markdown_text(shown)))
    if sprites:
        return None

    def build_sprites() -> bool:  # after the first frame: load the images, build the sheet (cached), remember it
        try:
            _data(fmap, drawn, page.lang, height, True)
        except (DatasetError, OSError, ValueError):
            return False  # the map stays without images on it; a hover still asks for its image
        st.session_state.setdefault("map_sprites", {})[drawn] = True
        return True
    return build_sprites


def send_images(pending) -> None:
    """After every map is drawn: build the sprite sheets the first frames went without, then rerun, so the
    viewers receive them (the points stay as they are)."""
    built = [work() for work in pending if work]
    if any(built):
        st.rerun()


def _scores(column, s: dict) -> None:
    def fmt(name):
        return t("maps.na") if s.get(name) is None else f"{s[name]:.3f}"

    on_features = t("maps.on_features", heldout=f"{s.get('heldout_images') or 0:,}",
                    bank=f"{s.get('bank_images') or 0:,}")
    m = column.columns(4)
    m[0].metric(t("maps.knn"), fmt("knn_accuracy"), help=on_features + " " + t("maps.knn_help", k=s.get("knn_k") or 20))
    m[1].metric(t("maps.probe"), fmt("linear_probe_accuracy"), help=on_features + " " + t("maps.probe_help"))
    m[2].metric(t("maps.nmi"), fmt("kmeans_nmi"), help=on_features + " " + t("maps.nmi_help"))
    m[3].metric(t("maps.silhouette"), fmt("map_silhouette"), help=t("maps.silhouette_help"))


def _selection(column, fmap, value, slot: int) -> None:
    """A box or lasso selection: its class counts, its first images as a grid, and its export (ids and labels
    as CSV, the images as a zip)."""
    picked = _positions((value or {}).get("selection") if isinstance(value, dict) else None, len(fmap.coords))
    if not picked:
        return
    try:
        summary = selection_summary(fmap, picked)
    except SelectionError as exc:
        column.error(markdown_text(error_t(exc)))
        return
    classes = ", ".join(f"{markdown_text(c['class'])} {c['count']:,}" for c in summary["classes"])
    column.markdown(t("maps.selection", n=f"{summary['count']:,}", classes=classes))
    shown = picked[:GRID_IMAGES]
    images = map_images(fmap, shown)
    captions = [markdown_text(f"{fmap.class_names[int(fmap.labels[p])]} #{int(fmap.indices[p])}") for p in shown]
    column.image([np.asarray(img).transpose(1, 2, 0) for img in images], caption=captions, width=64)
    if len(picked) > len(shown):
        column.caption(t("maps.selection_grid", shown=len(shown), n=f"{len(picked):,}"))
    left, right = column.columns(2)
    left.download_button(t("maps.export_csv"), lambda: selection_csv(fmap, picked), f"selection_{slot}.csv",
                         "text/csv", key=f"sel_csv_{slot}", on_click="ignore", help=t("maps.export_csv_help"))

    if len(picked) > MAX_EXPORT_IMAGES:  # refused before anything is built
        right.caption(markdown_text(msg_t(Message("maps.selection_too_large", n=len(picked), limit=MAX_EXPORT_IMAGES))))
        return
    right.download_button(t("maps.export_zip"), lambda: selection_zip(fmap, picked), f"selection_{slot}.zip",
                          "application/zip", key=f"sel_zip_{slot}", on_click="ignore",
                          help=t("maps.export_zip_help"))
