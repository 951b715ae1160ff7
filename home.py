"""The home page: what the lab is and where to start."""

import streamlit as st

st.title("replearn — a lab for representation learning")
st.markdown(
    """
Learn representation learning by doing it. Every page trains or inspects real models,
on your GPU when there is one and on a laptop CPU in a minute or two otherwise.

**Where to start**

1. **Self-supervised lab** — pick a method (SimCLR, MoCo v2, BYOL, SimSiam, Barlow Twins,
   rotation prediction, a denoising autoencoder), press *Train* and watch the loss, the kNN
   accuracy against its untrained baseline and the collapse meter move live.
2. **Runs** — every run you started, finished or running; overlay their curves, download checkpoints.
3. **Feature maps** — t-SNE, UMAP and PCA of what a run learned, with the images under the points.
4. **Transfer learning** — feature extraction against fine-tuning, at 1 %, 10 % and 100 % of the labels.
5. **CycleGAN** — apples into oranges and back, and how the translation improves during training.
6. **Metric learning** and **Domain adaptation** — retrieval by example, and carrying a model to a new domain.

The built-in datasets (`shapes`, `digits`) need no network. Runs keep going when you reload the
page or close the tab; they execute in a separate worker process and are stored in the data folder.
"""
)
st.caption("Runs and downloads are kept in the folder named by REPLEARN_DATA (default ./replearn_data).")
