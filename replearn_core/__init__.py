"""replearn_core: the engine of the replearn lab.

Everything that computes lives here: datasets, augmentations, backbones,
self-supervised methods and their losses, the trainer, the run store and the
worker that executes runs outside the web server. The Streamlit pages only
gather inputs, call one function of this package and draw what comes back.

Layers, bottom to top; a module imports only from its own layer or the ones below
(``tests/test_layers.py`` checks it, with no import cycles):

1. Shared base, used by several capabilities:
   ``paths.py``, ``device.py``, ``download.py``, ``data/`` (the dataset registry),
   ``augment.py``, ``backbones.py``, ``evaluation.py`` (kNN, linear probe, collapse
   meters), ``features.py`` (encoding images), ``training.py`` (``fit``, the one
   training loop every capability's job runs), ``options.py`` (typed options and
   settings), ``cards.py`` (the card every method declares), ``checkpoints.py``, ``plots.py`` (run
   curves), and ``runs/``: the run store, the job registry, the worker processes,
   and ``RunConfig`` (``runs/config.py``), the base of every run configuration.
2. Capabilities, one folder each, none importing another (not even inside a function):
   ``ssl/`` (self-supervised pretraining: config, losses, methods, trainer, job, lab),
   ``transfer/``, ``cyclegan/``, ``metric/``, ``adaptation/``, ``incremental/`` (learning tasks one after
   another: forgetting and its remedies), ``projection/`` (feature maps).
3. ``claims/``: the articles' claims, measured. It plans and scores runs of the capabilities (their
   configurations and methods), so it sits above them; no capability imports it.
4. The command line: ``commands/`` (one module per command), ``cli.py``, ``__main__.py``.
5. Above the package: the Streamlit pages (``app.py``, ``home.py``, ``pages/``, ``ui/``)
   and the benchmarks (``bench/``).

Job kinds (``"ssl"``, ``"transfer"``, ...) map to their capability's job function in
:data:`replearn_core.runs.jobs.JOBS`, by name, so the run store never imports a capability.
"""

__version__ = "0.1.0"
