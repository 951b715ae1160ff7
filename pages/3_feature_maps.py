"""Feature maps: t-SNE, UMAP and PCA of what a run learned, side by side, with scores under each map."""

import streamlit as st
import streamlit.components.v1 as components

from replearn_core.checkpoints import CheckpointError, checkpoint_artifacts
from replearn_core.data import DatasetError
from replearn_core.projection import (PARAMETERS, FeatureMapError, coordinates_csv, map_images, map_run,
                                      projector_tsv, start_warm_up)
from replearn_core.projection.figures import animation_figure, hover_map_html, map_figure, selected_positions
from ui.common import get_store, live_fragment, refresh_seconds, run_label
from ui.links import link_runs, linked_ids
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

warm = start_warm_up()  # compile/load the t-SNE and UMAP code in the background while the user picks
st.title("🗺️ Feature maps")
st.caption("Each image becomes a feature vector; the map places similar vectors close together. Compare a "
           "trained encoder with the untrained one: if training helped, classes form separate islands and "
           "the scores under the map (measured on the features, not on the picture) go up.")

store = get_store()
runs = store.list_runs()
options = {}
for run in runs:
    if checkpoint_artifacts(store, run.id) or run.active:
        options[run_label(run, status=False)] = run.id
for run in runs:
    if checkpoint_artifacts(store, run.id):
        options[f"untrained control · same backbone as {run.id}"] = f"init:{run.id}"
options["untrained small_cnn on shapes (control)"] = "init"
labels = list(options)
linked = [label for source in linked_ids() for label, known in options.items() if known == source][:2]
kept = [label for label in st.session_state.get("map_runs", []) if label in options]
if kept != st.session_state.get("map_runs", kept):  # a run deleted meanwhile leaves the choice
    st.session_state["map_runs"] = kept
chosen = st.multiselect("Runs to map (one or two, side by side)", labels,
                        default=None if "map_runs" in st.session_state else linked or labels[:1],
                        max_selections=2, key="map_runs",  # a key: the choice stays while runs come and go
                        help="A run's latest encoder checkpoint encodes its dataset's test images. The "
                             "untrained control is the same backbone with random weights: the baseline "
                             "every learned representation should beat.")
# the URL names the chosen runs (?run=<id>,<id>) unless they are the default: a reload or a link shows them
link_runs([] if chosen == labels[:1] else [options[label] for label in chosen])

c1, c2, c3 = st.columns(3)
method = c1.radio("Projection", ["umap", "tsne", "pca"], horizontal=True,
                  format_func={"umap": "UMAP", "tsne": "t-SNE", "pca": "PCA"}.get,
                  help="PCA: the linear view (can place new points). t-SNE: keeps neighbours, distances "
                       "between clusters mean little. UMAP: keeps neighbours and more of the global layout; "
                       "can place new points.")
points = c2.select_slider("Points", [500, 1000, 2000, 5000, 10000], value=5000,
                          help="At most this many images, a seeded random sample when there are more. "
                               "The page says when it shows a sample.")
split = c3.radio("Images", ["test", "all"], horizontal=True, format_func={"test": "test split",
                                                                         "all": "train + test"}.get,
                 help="The test split (held out from training), or train and test together for more points.")
params = {}
k1, k2, k3, k4 = st.columns(4)
if method == "tsne":
    params["perplexity"] = k1.slider("Perplexity", 5, 50, 30, help=PARAMETERS["tsne"]["perplexity"])
if method == "umap":
    params["n_neighbors"] = k1.slider("n_neighbors", 2, 100, 15, help=PARAMETERS["umap"]["n_neighbors"])
    params["min_dist"] = k2.slider("min_dist", 0.0, 0.99, 0.1, 0.01, help=PARAMETERS["umap"]["min_dist"])
if method in ("tsne", "umap"):
    params["metric"] = k3.selectbox("Metric", ["euclidean", "cosine"], help=PARAMETERS[method]["metric"])
params["random_state"] = int(k4.number_input("Seed", 0, 10_000, 0, help=PARAMETERS[method]["random_state"]))
animate = False
if method == "tsne":
    st.info("t-SNE cannot place new points: the map is an optimisation over exactly these points. Mapping "
            "other images means running it again (UMAP and PCA can place new points).", icon="ℹ️")
    animate = st.toggle("Animate t-SNE unfolding", help="Keep the map every 25 iterations and play them.")
live = st.toggle("Follow live runs", value=True,
                 help=f"For a run still training, redraw from its newest checkpoint (checked every "
                      f"{refresh_seconds():g} s).")
if not warm["done"]:
    st.caption("⏳ Preparing t-SNE and UMAP in the background (first start only)…")

if not chosen:
    st.info("Pick a run above. No runs yet? Train one in the Self-supervised lab, or map the untrained control.")
    st.stop()


def draw(column, label: str, slot: int):
    source = options[label]
    try:
        fmap = map_run(store, source, method, params, max_points=points, split=split,
                       snapshot_every=25 if animate else 0)
    except (FeatureMapError, DatasetError, CheckpointError, ValueError, KeyError) as exc:
        column.error(str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc))
        return
    column.markdown(f"**{fmap.source_label}** · {fmap.checkpoint} · {len(fmap.coords):,} points · "
                    f"{fmap.wall_s:.1f} s" + (" (cached)" if fmap.cached else ""))
    for note in fmap.notes:
        column.caption(note)
    if animate and fmap.history:
        column.plotly_chart(animation_figure(fmap), width="stretch", key=f"anim_{slot}")
    hover_tab, select_tab = column.tabs(["🖼️ Hover for images", "🔲 Select points"])
    with hover_tab:
        components.html(hover_map_html(fmap, map_images(fmap, range(len(fmap.coords)))), height=540)
        st.caption("Move the mouse over the map: the nearest point's image, class and image number.")
    with select_tab:
        event = st.plotly_chart(map_figure(fmap), width="stretch", key=f"map_{slot}",
                                on_select="rerun", selection_mode=("points", "box", "lasso"))
    s = fmap.scores

    def fmt(name):
        return "n/a" if s.get(name) is None else f"{s[name]:.3f}"

    on_features = (f"On the features of the run's {s.get('heldout_images') or 0:,} held-out images, with "
                   f"{s.get('bank_images') or 0:,} of its training images as the bank (the images its trainer "
                   f"scores), not on the map's points.")
    m = column.columns(4)
    m[0].metric("kNN accuracy", fmt("knn_accuracy"),
                help=f"{on_features} Each held-out image takes the similarity-weighted vote of its "
                     f"{s.get('knn_k') or 20} most similar bank images (cosine, weights exp(cos / 0.07)). "
                     f"The same kNN accuracy a self-supervised run reports for this checkpoint. "
                     f"Chance = 1/classes.")
    m[1].metric("Linear probe", fmt("linear_probe_accuracy"),
                help=f"{on_features} Logistic regression fitted on the bank's features, accuracy on the "
                     f"held-out images.")
    m[2].metric("k-means NMI", fmt("kmeans_nmi"),
                help=f"{on_features} Agreement of k-means clusters (k = classes) of the held-out features "
                     f"with the labels, 0 to 1.")
    m[3].metric("Map silhouette (2-D)", fmt("map_silhouette"),
                help="On the 2-D map itself: how well the classes separate in the picture, -1 to 1. "
                     "Depends on the projection and its knobs, unlike the three scores on the left.")
    picked = selected_positions(fmap, event.selection if event else None)
    if picked:
        column.markdown(f"**{len(picked)} selected** (showing up to 60)")
        images = map_images(fmap, picked[:60])
        names = [f"{fmap.class_names[int(fmap.labels[p])]} #{int(fmap.indices[p])}" for p in picked[:60]]
        column.image([img.permute(1, 2, 0).numpy() for img in images], caption=names, width=64)
    else:
        column.caption("In 'Select points': click, box- or lasso-select points to see their images below; "
                       "click a class in the legend to hide it.")
    with column.expander("Export"):
        # callables: the files are built only when a button is clicked, not on every redraw
        st.download_button("Coordinates (CSV)", lambda: coordinates_csv(fmap.coords, fmap.labels, fmap.class_names,
                                                                        fmap.indices),
                           f"{fmap.method}_{slot}.csv", "text/csv", key=f"csv_{slot}",
                           help="index, x, y, label, class_name for every point.")
        st.download_button("features.tsv", lambda: projector_tsv(fmap.features, fmap.labels, fmap.class_names,
                                                                 fmap.indices)[0],
                           "features.tsv", key=f"ftsv_{slot}",
                           help="Load with metadata.tsv in the TensorFlow Embedding Projector "
                                "(projector.tensorflow.org → Load).")
        st.download_button("metadata.tsv", lambda: projector_tsv(fmap.features[:, :1], fmap.labels,
                                                                 fmap.class_names, fmap.indices)[1],
                           "metadata.tsv", key=f"mtsv_{slot}",
                           help="Class, label and image index of each row of features.tsv.")


any_active = any(not options[c].startswith("init") and store.get_run(options[c]).active for c in chosen)


@live_fragment(run_every=refresh_seconds() if live and any_active else None)
def maps():
    columns = st.columns(len(chosen))
    for slot, (column, label) in enumerate(zip(columns, chosen)):
        draw(column, label, slot)


maps()
