"""replearn_core: the engine of the replearn lab.

Everything that computes lives here: datasets, augmentations, backbones,
self-supervised methods and their losses, the trainer, the run store and the
worker that executes runs outside the web server. The Streamlit pages only
gather inputs, call one function of this package and draw what comes back.
"""

__version__ = "0.1.0"
