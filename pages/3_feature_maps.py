"""Feature maps: t-SNE, UMAP and PCA of what a run learned, side by side, up to 100,000 points, with scores under
each map; the map viewer shows images, neighbours in feature space and selections (ui/feature_map_view.py)."""

import streamlit as st

from replearn_core.checkpoints import checkpoint_artifacts
from replearn_core.projection import MAX_POINTS, PROJECTIONS, fits, max_points, projection_ready, start_warm_up
from replearn_core.runs import access
from ui.common import live_fragment, refresh_seconds, run_label
from ui.feature_map_view import draw_map, send_images
from ui.i18n import t
from ui.links import link_runs, linked_ids
from ui.options import option_controls
from ui.panels import open_page
from ui.presets import preset

POINTS = (500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
# a student maps their own, shared and reference runs only; mapping needs no training worker
page = open_page("maps.title", t("maps.caption"), warm_worker=False)
store = page.store
runs = access.list_runs(store, page.user)
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
points = c2.select_slider(t("maps.points"), [p for p in POINTS if p <= MAX_POINTS], value=5000,
                          format_func="{:,}".format, help=t("maps.points_help"))
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
# what this machine maps at this size within a minute (the engine's estimate)
fitting = [t("maps.fit_item", title=p.title, limit=f"{max_points(name):,}") for name, p in PROJECTIONS.items()
           if fits(name, points)]
st.caption(t("maps.fits", n=f"{points:,}", fits=", ".join(fitting) or t("maps.fits_none")))
if not fits(method, points):
    st.warning(t("maps.too_many_for", title=projection.title, limit=f"{max_points(method):,}"))
    st.stop()

if not chosen:
    st.info(t("maps.pick"))
    st.stop()


any_active = any(run.active for run in access.get_runs(store, page.user, [options[c] for c in chosen]).values())
# while t-SNE or UMAP compiles the maps are PCA; the fragment looks again every 2 s and draws the real map
compiling = projection.warms_up and not projection_ready(method)


@live_fragment(run_every=2.0 if compiling else refresh_seconds() if live and any_active else None)
def maps():
    columns = st.columns(len(chosen))
    pending = [draw_map(page, column, options[label], method, params, points, split, animate, slot)
               for slot, (column, label) in enumerate(zip(columns, chosen))]
    send_images(pending)  # the first frames went without their images: build them now, then rerun
    if compiling and projection_ready(method):  # the real maps are drawn: stop looking every 2 s
        st.rerun()


maps()
start_warm_up()  # after the first frame: compile/load the t-SNE and UMAP code in the background
