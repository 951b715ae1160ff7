"""The self-supervised methods, one file each; ``METHODS`` finds them by name.

Every module of this package is read on import and each :class:`SSLMethod` subclass it defines is registered
under its ``name`` (listed by ``order``), so adding a method takes four files and no line anywhere else:

1. ``replearn_core/ssl/losses/<name>.py``: the loss as a pure function, its docstring giving the paper, the
   formula and the shapes (the lab shows it beside the curves);
2. ``replearn_core/ssl/methods/<name>.py``: the :class:`SSLMethod` subclass: ``name``, ``title``, ``order``,
   ``paper``, ``summary``, ``formula``, ``loss_function`` (imported from the loss's own module), its
   ``options`` and the defaults of a default run (``default_epochs``, ``default_batch_size``, ...), measured
   with ``bench/ssl_quality.py --defaults --methods <name>`` against the lab's bar (kNN >= 0.45 on ``shapes``
   within 90 s on 2 CPU cores);
3. ``replearn_core/i18n/catalogue/zh.json``: the Chinese of its card and options (``method.<name>.title|summary
   |paper``, ``option.<name>.<option>.label|help``); the English stays in the class, and the catalogue test
   names every text that lacks its Chinese;
4. ``tests/ssl/losses/test_<name>.py``: the loss against a term-by-term reference computation.

The rest follows from this registry: the lab page and ``python -m replearn_core train --method <name>`` offer
it, the method tests (tests/ssl/methods) train it, ``bench/ssl_quality.py`` measures it and the claims name it by
its (short) title. The README's "Add a method" names these four files (tests/app/test_readme.py checks it).
"""

import importlib
import pkgutil

from replearn_core.ssl.methods.base import SSLMethod


def _discover() -> dict[str, type[SSLMethod]]:
    """Every method class defined in a module of this package, by name, in ``order``."""
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found += [cls for cls in vars(module).values() if isinstance(cls, type) and issubclass(cls, SSLMethod)
                  and cls is not SSLMethod and cls.__module__ == module.__name__]
    by_name = {}
    for cls in sorted(found, key=lambda c: (c.order, c.name)):
        if cls.name in by_name:
            raise RuntimeError(f"two methods are named {cls.name!r}: {by_name[cls.name].__module__}, {cls.__module__}")
        by_name[cls.name] = cls
    return by_name


METHODS: dict[str, type[SSLMethod]] = _discover()


def build_method(config, backbone=None) -> SSLMethod:
    """The method named in the config, around a fresh backbone (or the one given)."""
    from replearn_core.backbones import build_backbone

    if config.method not in METHODS:
        raise ValueError(f"unknown method {config.method!r}; known: {', '.join(METHODS)}")
    return METHODS[config.method](backbone or build_backbone(config.backbone), config)


__all__ = ["METHODS", "SSLMethod", "build_method"]
