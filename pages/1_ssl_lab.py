"""Self-supervised lab: pick a method, press Train, watch it learn."""

import streamlit as st

from replearn_core.backbones import BACKBONES
from replearn_core.data import DATASETS, DatasetError
from replearn_core.plots import collapse_figure, knn_figure, loss_figure
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.lab import (augmentation_help, image_grid, latest_run, method_cards, preview_views,
                              start_ssl_run)
from replearn_core.ssl.views import VIEWS, method_states, run_views
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.links import link_runs, linked_run
from ui.options import option_controls
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("🧪 Self-supervised lab")
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
linked = linked_run(store, "ssl")  # ?run=<id>: a reload or a link shows that run
cards = method_cards()
defaults = TrainConfig()

with st.sidebar:
    st.header("Run settings")
    dataset_choice = st.selectbox(
        "Dataset", list(DATASETS) + ["folder:…"], index=0,
        format_func=lambda n: n if n == "folder:…" else f"{n}{'' if DATASETS[n].offline else ' (download)'}",
        help="shapes and digits are built in and work offline; cifar10/stl10 download once; "
             "folder:… reads any class-per-folder image tree.")
    dataset = dataset_choice
    if dataset_choice == "folder:…":
        dataset = "folder:" + st.text_input("Folder path", help="A folder with one sub-folder of images per class.")
    method = st.selectbox("Method", list(cards), format_func=lambda m: cards[m].title,
                          help="The self-supervised objective. The explanation and loss formula appear below.")
    usable = [b for b in BACKBONES if cards[method].backbones is None or b in cards[method].backbones]
    backbone = st.selectbox("Backbone", usable, index=usable.index(cards[method].default_backbone),
                            key=f"backbone_{method}", help="\n\n".join(
        f"**{k}**: {v.description}" for k, v in BACKBONES.items()))
    epochs = st.slider("Epochs", 1, 100, cards[method].default_epochs, key=f"epochs_{method}",
                       help="Passes over the training images. Each method's default fits in about 90 s on a 2-core CPU (cnn4 on shapes: about 2 s an epoch for SimCLR).")
    batch_size = st.select_slider("Batch size", [32, 64, 128, 256, 512, 1024], cards[method].default_batch_size,
                                  key=f"batch_size_{method}",
                                  help="Images per step. Contrastive methods see 2·B − 2 negatives per image.")
    lr = st.number_input("Learning rate", 1e-5, 1.0, defaults.lr, format="%.4f",
                         help="Peak AdamW learning rate after a short warm-up; cosine decay to 0.")
    temperature = st.slider("Temperature τ", 0.05, 1.0, defaults.temperature, 0.05,
                            help="Softmax temperature of SimCLR and MoCo: lower values weigh hard negatives more.",
                            disabled=not cards[method].uses_temperature)
    view_size = st.slider("View size (pixels)", 8, defaults.image_size, cards[method].default_view_size,
                          key=f"view_size_{method}",
                          help="Training views are random crops drawn at this size. Smaller views train faster; "
                               "a crop shows the object about as large as the whole image does at full size.")
    seed = st.number_input("Seed", 0, 10_000, 0, help="Seeds initialisation, batch order and augmentations.")
    options = option_controls(cards[method].options, key=f"option_{method}")  # the method's own settings

card = cards[method]
left, right = st.columns([3, 2])
with right:
    st.subheader(card.title)
    st.markdown(card.summary)
    st.latex(card.formula)
    st.caption(card.paper)
    if card.loss_doc:
        with st.expander("The loss function's documentation"):
            st.code(card.loss_doc.strip(), language="text")

with left:
    st.subheader("Views: the augmentation recipe")
    help_text = augmentation_help()
    recipe = st.data_editor(
        card.default_recipe(dataset), key=f"recipe_{method}_{dataset}", num_rows="dynamic", use_container_width=True,
        column_config={
            "op": st.column_config.SelectboxColumn("op", options=list(help_text), required=True,
                                                   help="; ".join(f"{k}: {v}" for k, v in help_text.items())),
            "p": st.column_config.NumberColumn("p", min_value=0.0, max_value=1.0, step=0.05,
                                               help="Probability of applying the op to an image."),
            "strength": st.column_config.NumberColumn("strength", min_value=0.0, max_value=2.0, step=0.1,
                                                      help="How strong the op is; see the op's help."),
        })
    try:
        originals, view1, view2 = preview_views(dataset, recipe, n=8, seed=int(seed))
        st.image(image_grid([originals, view1, view2]).numpy(),
                 caption="top: originals · middle and bottom: two augmented views of each (what the method compares)")
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(f"Cannot preview: {exc}")

    config = dict(defaults.to_dict(), dataset=dataset, method=method, backbone=backbone, epochs=int(epochs),
                  batch_size=int(batch_size), lr=float(lr), temperature=float(temperature), seed=int(seed),
                  view_size=int(view_size), recipe=recipe, options=options)
    if st.button("▶ Train", type="primary", use_container_width=True,
                 help="Queue the run; it executes in a worker process and survives page reloads."):
        try:
            st.session_state["ssl_run_id"] = start_ssl_run(config, store)
            link_runs([st.session_state["ssl_run_id"]])  # the URL names the run: a reload shows it again
            st.toast("Run queued")
        except (DatasetError, ValueError, KeyError) as exc:
            st.error(f"Cannot start: {exc}")


@st.cache_data(max_entries=16, show_spinner=False)
def draw_view(view: str, run_id: str, newest_state: str, _store):
    """A view of a run's stored method, drawn again only when a newer state is stored."""
    picture, caption = VIEWS[view](_store, run_id)
    return picture.numpy(), caption


@live_fragment(run_every=refresh_seconds())
def live_view():
    run_id = st.session_state.get("ssl_run_id") or (linked.id if linked else None)
    run = store.get_run(run_id) if run_id else latest_run(store, "ssl")
    if run is None:
        st.info("No run yet: choose settings and press Train.")
        return
    store.reap_dead()  # a run whose worker process died is marked failed, not shown running forever
    run = store.get_run(run.id)
    st.subheader(f"Run {run.id}: {run.config.get('method')} on {run.config.get('dataset')}")
    status = {"queued": "⏳ queued", "running": "🏃 running", "finished": "✅ finished", "failed": "❌ failed",
              "cancelled": "⏹ cancelled"}[run.status]
    st.progress(run.progress, text=f"{status} · {run.message or ''} · device {run.device or '?'}")
    if run.error:
        st.error(run.error)
    for warning in run.warnings:
        st.warning(warning, icon="⚠️")
    if run.active and st.button("⏹ Cancel", key=f"cancel_{run.id}", help="Stop this run at its next step."):
        store.request_cancel(run.id)
        st.toast("Cancel requested")
    metrics = store.metrics(run.id)
    c1, c2, c3 = st.columns(3)
    c1.plotly_chart(loss_figure(metrics), use_container_width=True, key=f"loss_{run.id}")
    c2.plotly_chart(knn_figure(metrics), use_container_width=True, key=f"knn_{run.id}")
    c3.plotly_chart(collapse_figure(metrics), use_container_width=True, key=f"collapse_{run.id}")
    if "images_per_s" in metrics:
        st.caption(f"{metrics['images_per_s'][1][-1]:.0f} images/s · step {metrics['images_per_s'][0][-1]}")
    views = run_views(store, run.id)
    if views:
        st.subheader("What the model draws (held-out images)")
        for view, column in zip(views, st.columns(len(views))):
            with column:
                try:
                    picture, caption = draw_view(view, run.id, method_states(store, run.id)[-1].name, store)
                    st.image(picture, caption=caption)
                except Exception as exc:  # noqa: BLE001 - a half-written or foreign state: say so, keep the page
                    st.warning(f"Cannot draw the {view} view: {exc}")


live_view()
