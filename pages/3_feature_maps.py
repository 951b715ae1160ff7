"""Feature maps: t-SNE, UMAP and PCA of what a run learned, side by side, with scores under each map."""

import streamlit as st
import streamlit.components.v1 as components

from replearn_core.checkpoints import CheckpointError, checkpoint_artifacts
from replearn_core.data import DatasetError
from replearn_core.projection import (PROJECTIONS, FeatureMapError, coordinates_csv, map_images, map_run,
                                      projector_tsv, start_warm_up)
from replearn_core.projection.figures import animation_figure, hover_map_html, map_figure, selected_positions
from replearn_core.runs import access
from ui.classroom import current_user
from ui.common import get_store, live_fragment, refresh_seconds, run_label
from ui.i18n import current_language, error_t, how_to_read, msg_t, t
from ui.links import link_runs, linked_ids
from ui.options import option_controls
from ui.presets import lesson_banner, preset
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

lang = current_language()
warm = start_warm_up()  # compile/load the t-SNE and UMAP code in the background while the user picks
st.title(t("maps.title"))
st.caption(t("maps.caption"))
lesson_banner()  # opened by a lesson: say which, with a way back


user = current_user()  # classroom mode: a student maps their own, shared and reference runs only
store = get_store()
runs = access.list_runs(store, user)
options = {}
for run in runs:
    if checkpoint_artifacts(store, run.id) or run.active:
        options[run_label(run, status=False)] = run.id
for run in runs:
    if checkpoint_artifacts(store, run.id):
        options[t("maps.untrained_of", run_id=run.id)] = f"init:{run.id}"
options[t("maps.untrained_default")] = "init"
labels = list(options)
linked = [label for source in linked_ids() for label, known in options.items() if known == source][:2]
kept = [label for label in st.session_state.get("map_runs", []) if label in options]
if kept != st.session_state.get("map_runs", kept):  # a run deleted meanwhile leaves the choice
    st.session_state["map_runs"] = kept
chosen = st.multiselect(t("maps.runs"), labels,
                        default=None if "map_runs" in st.session_state else linked or labels[:1],
                        max_selections=2, key="map_runs",  # a key: the choice stays while runs come and go
                        help=t("maps.runs_help"))
# the URL names the chosen runs (?run=<id>,<id>) unless they are the default: a reload or a link shows them
link_runs([] if chosen == labels[:1] else [options[label] for label in chosen])

c1, c2, c3 = st.columns(3)
names = list(PROJECTIONS)  # UMAP first: the default
method = c1.radio(t("maps.projection"), names, horizontal=True,  # ?projection=pca: a lesson's choice
                  index=names.index(preset("projection", names[0], choices=names.__contains__)),
                  format_func=lambda m: PROJECTIONS[m].title, help=t("maps.projection_help"))
points = c2.select_slider(t("maps.points"), [500, 1000, 2000, 5000, 10000], value=5000, help=t("maps.points_help"))
split = c3.radio(t("maps.images"), ["test", "all"], horizontal=True,
                 format_func={"test": t("maps.split_test"), "all": t("maps.split_all")}.get,
                 help=t("maps.images_help"))
projection = PROJECTIONS[method]
# its knobs, one control each, translated; a lesson's ?perplexity=5 presets one
params = option_controls(projection.options, key=f"proj_{method}", method=method, columns=4)
if not projection.places_new_points:
    st.info(t("maps.tsne_note"), icon="ℹ️")
animate = projection.animates and st.toggle(t("maps.animate"), help=t("maps.animate_help"))
live = st.toggle(t("maps.live"), value=True, help=t("maps.live_help", seconds=f"{refresh_seconds():g}"))
if not warm["done"]:
    st.caption(t("maps.preparing"))

if not chosen:
    st.info(t("maps.pick"))
    st.stop()


def draw(column, label: str, slot: int):
    source = options[label]
    try:
        fmap = map_run(store, source, method, params, max_points=points, split=split,
                       snapshot_every=25 if animate else 0)
    except (FeatureMapError, DatasetError, CheckpointError, ValueError, KeyError) as exc:
        column.error(error_t(exc))
        return
    column.markdown(f"**{fmap.source_label}** · {fmap.checkpoint} · "
                    + t("maps.points_time", n=f"{len(fmap.coords):,}", seconds=f"{fmap.wall_s:.1f}")
                    + (t("maps.cached") if fmap.cached else ""))
    for note in fmap.notes:
        column.caption(msg_t(note))
    if animate and fmap.history:
        column.plotly_chart(animation_figure(fmap), width="stretch", key=f"anim_{slot}")
        how_to_read("map_animation", column)
    hover_tab, select_tab = column.tabs([t("maps.tab_hover"), t("maps.tab_select")])
    with hover_tab:
        components.html(hover_map_html(fmap, map_images(fmap, range(len(fmap.coords)))), height=540)
        st.caption(t("maps.hover_hint"))
    with select_tab:
        event = st.plotly_chart(map_figure(fmap, lang=lang), width="stretch", key=f"map_{slot}",
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
        names = [f"{fmap.class_names[int(fmap.labels[p])]} #{int(fmap.indices[p])}" for p in picked[:60]]
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


any_active = any(not options[c].startswith("init") and store.get_run(options[c]).active for c in chosen)


@live_fragment(run_every=refresh_seconds() if live and any_active else None)
def maps():
    columns = st.columns(len(chosen))
    for slot, (column, label) in enumerate(zip(columns, chosen)):
        draw(column, label, slot)


maps()
