"""Where the lab keeps its data: runs, caches, downloads; and where the shipped reference runs are.

The folder is ``./replearn_data`` by default and can be moved with the
``REPLEARN_DATA`` environment variable (tests point it at a temporary folder).
Reference runs are read from ``assets/reference_runs`` next to the code, or from
the folder named by ``REPLEARN_REFERENCE_RUNS``.
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


REFERENCE_RUNS_ENV_VAR = "REPLEARN_REFERENCE_RUNS"
ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"  # shipped with the code, read-only


def reference_runs_dir() -> Path:
    """The folder of shipped reference runs: ``assets/reference_runs`` of the code, or ``REPLEARN_REFERENCE_RUNS``.

    Not created: a missing folder simply means no reference runs (tests point the variable at one).
    """
    override = os.environ.get(REFERENCE_RUNS_ENV_VAR)
    return Path(override).expanduser().resolve() if override else ASSETS_DIR / "reference_runs"
