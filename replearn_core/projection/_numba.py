"""Numba, with its compiled-code cache in the data folder so the JIT survives app restarts.

The first call of a ``@njit(cache=True)`` function compiles it (seconds); the result is
written under ``<data folder>/cache/numba`` and loaded from there by every later process.
``NUMBA_CACHE_DIR`` must be set before numba is imported, hence this module.
"""

from __future__ import annotations

import os
import sys

from replearn_core.paths import data_root

# named, not created: numba makes the folder when it first writes there, and where it cannot (a read-only data
# folder) it caches next to the code or not at all; nothing is created when this module is imported
os.environ.setdefault("NUMBA_CACHE_DIR", str(data_root() / "cache" / "numba"))
if "numba" in sys.modules:  # imported earlier (e.g. by umap-learn): point it at our cache anyway
    from numba.core import config as _config

    _config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]

import numba  # noqa: E402

njit = numba.njit
prange = numba.prange
