"""Where the lab keeps its data: runs, caches, downloads.

The folder is ``./replearn_data`` by default and can be moved with the
``REPLEARN_DATA`` environment variable (tests point it at a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "REPLEARN_DATA"


def data_dir() -> Path:
    """The lab's data folder, created on first use."""
    path = Path(os.environ.get(ENV_VAR, "replearn_data")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(*parts: str) -> Path:
    """A folder inside the data folder, created on first use."""
    path = data_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
