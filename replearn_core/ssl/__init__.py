"""Self-supervised pretraining: one capability, like transfer, cyclegan or metric.

- ``config.py``: :class:`TrainConfig`, the settings of a run (one commented default per field);
- ``losses/``: the losses as pure functions, one per file;
- ``methods/``: the methods, one per file, and the ``METHODS`` registry;
- ``trainer.py``: the training loop, reporting through callbacks;
- ``job.py``: the ``ssl`` job that the worker runs (method + trainer + run store);
- ``lab.py``: what the self-supervised lab page asks of the engine.

Imports go one way: ``losses`` and ``config`` at the bottom, then ``methods``, ``trainer``, ``job``, ``lab``.
``config`` does not import the methods: :meth:`TrainConfig.validate` is given their registry.
"""
