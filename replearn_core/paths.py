"""Where the lab keeps its data: runs, caches, downloads; and where the shipped reference runs are.

The folder is ``./replearn_data`` by default and can be moved with the
``REPLEARN_DATA`` environment variable (tests point it at a temporary folder).
Reference runs are read from ``assets/reference_runs`` next to the code, or from
the folder named by ``REPLEARN_REFERENCE_RUNS``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

ENV_VAR = "REPLEARN_DATA"


def data_root() -> Path:
    """Where the lab's data folder is, without creating it: for paths computed at import time (no folder may be
    made then: ``--help`` must work on a read-only disk) and for messages."""
    return Path(os.environ.get(ENV_VAR, "replearn_data")).expanduser().resolve()


def data_dir() -> Path:
    """The lab's data folder, created on first use. A folder that cannot be created (a read-only or full disk,
    a file in its path) raises one :class:`~replearn_core.storage_errors.StoreUnavailable` naming it."""
    path = data_root()
    if not path.is_dir():
        _make(path, path)
    return path


def subdir(*parts: str) -> Path:
    """A folder inside the data folder, created on first use (a folder that cannot be made: as for
    :func:`data_dir`)."""
    root = data_dir()
    path = root.joinpath(*parts)
    if not path.is_dir():
        _make(path, root)
    return path


def _make(path: Path, root: Path) -> None:
    from replearn_core.i18n import Message
    from replearn_core.storage_errors import StoreUnavailable, explain_storage_error

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        explained = explain_storage_error(exc, root)
        if explained is not exc:
            raise explained from exc
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            raise StoreUnavailable(Message("store.not_a_folder", root=str(root))) from exc
        raise StoreUnavailable(Message("store.cannot_create", root=str(root),
                                       reason=exc.strerror or type(exc).__name__)) from exc


REFERENCE_RUNS_ENV_VAR = "REPLEARN_REFERENCE_RUNS"
ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"  # shipped with the code, read-only


def reference_runs_dir() -> Path:
    """The folder of shipped reference runs: ``assets/reference_runs`` of the code, or ``REPLEARN_REFERENCE_RUNS``.

    Not created: a missing folder simply means no reference runs (tests point the variable at one).
    """
    override = os.environ.get(REFERENCE_RUNS_ENV_VAR)
    return Path(override).expanduser().resolve() if override else ASSETS_DIR / "reference_runs"
