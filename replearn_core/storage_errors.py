"""Storage failures a user can act on: the data folder's disk is full, or another program holds the database.

SQLite and the file system report them as ``sqlite3.OperationalError("database or disk is full")``,
``OSError(ENOSPC)`` and ``sqlite3.OperationalError("database is locked")``; :func:`explain_storage_error`
turns them into a :class:`StoreUnavailable` whose message says what happened, that nothing stored before
is lost (SQLite rolls the failed transaction back; files are written to a temporary name and renamed only
when complete), and what to do.
"""

from __future__ import annotations

import errno
from pathlib import Path


class StoreUnavailable(OSError):
    """The data folder cannot take a write now: its disk is full, or another program holds the run database."""


def explain_storage_error(exc: BaseException, root: Path) -> BaseException:
    """A :class:`StoreUnavailable` for a full disk or a database held by another program; else ``exc`` itself."""
    if isinstance(exc, StoreUnavailable):
        return exc
    text = str(exc).lower()
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) or "disk is full" in text:
        return StoreUnavailable(
            f"The data folder {root} is full: no space left on its disk. Runs stored before are intact. Free some "
            f"space (delete runs you no longer need on the Runs page) or set REPLEARN_DATA to a folder on a larger "
            f"disk, then start again.")
    if "database is locked" in text:
        return StoreUnavailable(
            f"The run database {root / 'runs.sqlite'} is locked by another program (an SQLite browser, a backup "
            f"or sync tool?) and stayed locked longer than the lab waits. Nothing was lost: close that program "
            f"and try again.")
    return exc
