"""Storage failures a user can act on: the data folder's disk is full, the folder is read-only, or another
program holds the database.

SQLite, the file system and safetensors report them as ``sqlite3.OperationalError("database or disk is
full")``, ``OSError(ENOSPC)`` (or EDQUOT, a full quota), ``OSError(EROFS)``, ``sqlite3.OperationalError(
"attempt to write a readonly database")``, a ``SafetensorError`` whose text ends in ``(os error 28)``, and
``sqlite3.OperationalError("database is locked")``; :func:`explain_storage_error` turns them into a
:class:`StoreUnavailable` whose message says what happened, that nothing stored before is lost (SQLite rolls
the failed transaction back; files are written to a temporary name and renamed only when complete), and what
to do. Every writer of the data folder goes through it: the run store, run files (checkpoints), caches, the
classroom's files (:func:`explained_writes`, :func:`write_atomically`).

The messages are :class:`~replearn_core.i18n.Message` objects: English for the command line and the run
store, in the page's language on a page.
"""

from __future__ import annotations

import errno
import os
import re
from contextlib import contextmanager
from pathlib import Path

from replearn_core.i18n import Message

FULL = (errno.ENOSPC, errno.EDQUOT)
READ_ONLY = (errno.EROFS,)
DENIED = (errno.EACCES, errno.EPERM)  # a read-only folder for a user who is not its owner; only inside the root
_RUST_OS_ERROR = re.compile(r"\(os error (\d+)\)")  # how safetensors (Rust's std::io::Error) names the errno
_RUST_PATH = re.compile(r'at path "([^"]*)"')


class StoreUnavailable(OSError):
    """The data folder cannot take a write now: its disk is full, it is read-only, or another program holds
    the run database."""


def full_disk(root: Path) -> StoreUnavailable:
    return StoreUnavailable(Message("store.full", root=str(root)))


def read_only(root: Path) -> StoreUnavailable:
    return StoreUnavailable(Message("store.read_only", root=str(root)))


def _errno_and_path(exc: BaseException) -> tuple[int | None, str | None]:
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno, exc.filename if isinstance(exc.filename, str) else None
    text = str(exc)
    code = _RUST_OS_ERROR.search(text)
    path = _RUST_PATH.search(text)
    return (int(code.group(1)) if code else None), (path.group(1) if path else None)


def _inside(path: str | None, root: Path) -> bool:
    if path is None:
        return False
    try:
        return Path(os.path.abspath(path)).is_relative_to(Path(os.path.abspath(root)))
    except (OSError, ValueError):
        return False


def _explain_one(exc: BaseException, root: Path) -> StoreUnavailable | None:
    if isinstance(exc, StoreUnavailable):
        return exc
    text = str(exc).lower()
    code, path = _errno_and_path(exc)
    if code in FULL or "disk is full" in text:
        return full_disk(root)
    if code in READ_ONLY or "readonly database" in text or (code in DENIED and _inside(path, root)):
        return read_only(root)
    if "database is locked" in text:
        return StoreUnavailable(Message("store.locked", path=str(Path(root) / "runs.sqlite")))
    return None


def explain_storage_error(exc: BaseException, root: Path) -> BaseException:
    """A :class:`StoreUnavailable` for a full disk, a read-only data folder or a database held by another
    program (also when that is the cause of ``exc``: a writer's error raised from it); else ``exc`` itself."""
    seen, current = 0, exc
    while current is not None and seen < 6:
        explained = _explain_one(current, root)
        if explained is not None:
            return explained
        current, seen = current.__cause__ or current.__context__, seen + 1
    return exc


@contextmanager
def explained_writes(root: Path):
    """Writes in this block that fail for want of space or of write access raise the :class:`StoreUnavailable`
    that says so (naming ``root``); any other error passes unchanged."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - safetensors' errors are plain Exceptions
        explained = explain_storage_error(exc, root)
        if explained is exc:
            raise
        raise explained from exc


def write_atomically(path: Path, data: bytes | str, root: Path) -> None:
    """Write a small file of the data folder through a temporary name renamed when complete: a reader never sees
    half a file, a failed write leaves the old file as it was, and a full or read-only disk is explained."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with explained_writes(root):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                partial.write_text(data, encoding="utf-8")
            else:
                partial.write_bytes(data)
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
