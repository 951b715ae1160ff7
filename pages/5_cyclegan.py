"""CycleGAN: walk apple ↔ orange translations at once, train a new run, watch the filmstrip grow."""

import streamlit as st

from replearn_core.cyclegan.config import IMAGE_SIZES, CycleGANConfig
from replearn_core.cyclegan.data import DATASET_SPECS
from replearn_core.cyclegan.lab import (FORMULA, PAPER, checkpoint_label, filmstrip, gallery, latest_run,
                                        loss_figure, start_run, walk_view)
from replearn_core.cyclegan.walk import BUNDLED, list_sources, model_info
from replearn_core.data.base import DatasetError
from ui.common import get_store, keep_worker_warm, live_fragment, refresh_seconds
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("🍎 CycleGAN: apples ↔ oranges")
st.caption("Two generators learn to translate between two image sets that are never paired: G turns A into B, "
           "F turns B back into A, and the round trip must give the original back. " + PAPER)
store = get_store()
keep_worker_warm()  # a Train pressed on this page finds a worker that has imported torch and drawn the data
defaults = CycleGANConfig()
walk_tab, train_tab = st.tabs(["🚶 Walk a trained model", "🏋️ Train a new run"])

with walk_tab:
    sources = list_sources(store) or [BUNDLED]
    source = st.selectbox("Model", sources, format_func=lambda s: "bundled fruit model" if s == BUNDLED else f"run {s}",
                          help="The bundled model ships with replearn; your finished or running cyclegan runs "
                               "appear here as soon as they saved a checkpoint.")
    try:
        info = model_info(source, store)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        st.error(f"Cannot load this model: {exc}")
        st.stop()
    st.info(info.description)
    labels = {checkpoint_label(c): c.name for c in info.checkpoints}
    chosen_label = st.select_slider(
        "Training history", list(labels), value=list(labels)[-1],
        help="Slide through the stored checkpoints to see how the translation improved during training.")
    pick, upload_col = st.columns(2)
    image_index = pick.number_input("Test image", 0, 7, 0, help="Which held-out test image of each domain to walk.")
    upload = upload_col.file_uploader("…or upload your own image", help="Any size: it is centre-cropped and resized "
                                      f"to {info.config.image_size} px and walked in both directions.")
    try:
        view = walk_view(source, int(image_index), upload.getvalue() if upload else None,
                         upload.name if upload else "", labels[chosen_label], store)
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    if view.note:
        st.warning(view.note)
    for row in view.rows:
        st.markdown(f"**{row.title}** · {chosen_label}")
        st.image([row.real, row.translated, row.reconstructed], width=160,
                 caption=["real", "translated", "reconstructed"])
    with st.expander(view.history_title, expanded=True):
        st.image([img for _, img in view.history], width=110, caption=[label for label, _ in view.history])
    with st.expander("Gallery: the test set translated at this checkpoint"):
        for title, (reals, fakes) in gallery(source, labels[chosen_label], 8, store).items():
            st.markdown(f"**{title}**")
            st.image(reals, width=80)
            st.image(fakes, width=80)
    with st.expander("The objective"):
        st.latex(FORMULA)
        st.markdown("G and F are ResNet generators (reflection padding, instance norm); D_A and D_B are 70×70 "
                    "PatchGAN discriminators scoring every patch. λ = 10. The discriminators also learn from a "
                    "pool of 50 earlier fakes.")

with train_tab:
    settings, live = st.columns([1, 2])
    with settings:
        dataset_choice = st.selectbox("Data", ["fruit", "apple2orange", "folder:…"],
                                      help="\n\n".join(f"**{k}**: {v}" for k, v in DATASET_SPECS.items()))
        dataset = dataset_choice
        if dataset_choice == "folder:…":
            dataset = "folder:" + st.text_input("Folder path", help="A folder holding trainA/ and trainB/ "
                                                "(and optionally testA/, testB/) of images.")
        image_size = st.select_slider("Image size", IMAGE_SIZES, defaults.image_size,
                                      help="Pixels a side. 64 px trains in a couple of minutes on a CPU; the "
                                           "paper uses 256 px.")
        ngf = st.select_slider("Generator width (ngf)", [8, 16, 32, 64], defaults.ngf,
                               help="Channels of the generator's first layer (paper: 64). Wider is slower.")
        n_blocks = st.radio("Residual blocks", [6, 9], horizontal=True,
                            help="The paper uses 6 blocks at 128 px and 9 at 256 px.")
        epochs = st.slider("Epochs", 1, 50, defaults.epochs, help="Passes over the training images.")
        max_images = st.select_slider("Images per domain", [50, 100, 200, 400, 1000], defaults.max_train_images,
                                      help="Training images of each domain used; one step per image at batch 1.")
        batch_size = st.select_slider("Batch size", [1, 2, 4, 8, 16], defaults.batch_size,
                                      help="Image pairs per step. The paper uses 1; larger is faster on a GPU.")
        lr = st.number_input("Learning rate", 1e-5, 1e-2, defaults.lr, format="%.5f",
                             help="Adam (β = 0.5, 0.999); constant for the first half, then linearly to 0.")
        lambda_cycle = st.slider("Cycle weight λ", 0.0, 20.0, defaults.lambda_cycle, 0.5,
                                 help="How strongly the round trip must return the original (paper: 10). "
                                      "Set 0 to see what goes wrong without it.")
        lambda_identity = st.slider("Identity weight (× λ)", 0.0, 1.0, defaults.lambda_identity, 0.1,
                                    help="Penalises changing images already in the target domain (paper: 0.5).")
        pool_size = st.slider("Image pool", 0, 100, defaults.pool_size,
                              help="Earlier fakes the discriminators keep learning from (paper: 50; 0 = off).")
        sample_every = st.slider("Filmstrip every N steps", 5, 200, defaults.sample_every, 5,
                                 help="How often the fixed test images are translated and stored.")
        config = dict(defaults.to_dict(), dataset=dataset, image_size=int(image_size), ngf=int(ngf),
                      n_blocks=int(n_blocks), epochs=int(epochs), max_train_images=int(max_images),
                      batch_size=int(batch_size), lr=float(lr), lambda_cycle=float(lambda_cycle),
                      lambda_identity=float(lambda_identity), pool_size=int(pool_size), sample_every=int(sample_every))
        if st.button("▶ Train", type="primary", use_container_width=True,
                     help="Queue the run; a worker process trains it and it survives page reloads."):
            try:
                st.session_state["cyclegan_run_id"] = start_run(config, store)
                st.toast("Run queued")
            except (DatasetError, ValueError, KeyError) as exc:
                st.error(f"Cannot start: {exc}")

    with live:
        @live_fragment(run_every=refresh_seconds())
        def live_view():
            run_id = st.session_state.get("cyclegan_run_id")
            run = store.get_run(run_id) if run_id else latest_run(store)
            if run is None:
                st.info("No run yet: choose settings and press Train. Meanwhile, walk the bundled model.")
                return
            run = store.get_run(run.id)
            st.subheader(f"Run {run.id}: {run.config.get('dataset')} at {run.config.get('image_size')} px")
            st.progress(run.progress, text=f"{run.status} · {run.message or ''} · device {run.device or '?'}")
            if run.error:
                st.error(run.error)
            if run.active and st.button("⏹ Cancel", key=f"cancel_{run.id}", help="Stop this run at its next step."):
                store.request_cancel(run.id)
                st.toast("Cancel requested")
            metrics = store.metrics(run.id)
            st.plotly_chart(loss_figure(metrics), use_container_width=True, key=f"cg_loss_{run.id}")
            if "images_per_s" in metrics:
                st.caption(f"{metrics['images_per_s'][1][-1]:.1f} images/s · step {metrics['images_per_s'][0][-1]}")
            strip = filmstrip(store, run.id)
            if strip:
                step, latest = strip[-1]
                st.markdown(f"**Filmstrip** · rows: real A, A→B, A→B→A, real B, B→A, B→A→B · latest: step {step}")
                st.image(latest, width=360)
                st.image([path for _, path in strip[-12:]], width=110,
                         caption=[f"step {s}" for s, _ in strip[-12:]])

        live_view()
