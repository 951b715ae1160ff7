"""Files users upload (checkpoints to transfer from): stored under safe names, checked before they are kept,
and counted against each student's quota.

An upload lives in its owner's folder (:func:`replearn_core.runs.access.upload_dir`), under a name the lab
makes: a digest of the bytes, then the upload's own name made plain (no folders, no ``..``, no control
characters, at most 60 characters, its suffix kept), e.g. ``3f9a0c1b2d4e5f60-encoder.pt``. The same bytes
under the same name are the same file, kept once.

:func:`store_upload` writes the bytes to a file of ``uploads/.incoming/`` (no one's folder), runs the caller's
check on it (for a checkpoint: it is measured, then loaded into the architecture, see
:func:`replearn_core.checkpoints.read_state_file`) and moves it into the owner's folder only when the check
passes: a refused file (a pickle, a zip bomb, a checkpoint of another architecture) is never kept.

Each student's uploads together may take at most the class's quota: ``REPLEARN_UPLOAD_QUOTA_MB`` (default
200 MB) until the teacher sets one on the Teacher page (:func:`save_quota`, kept with the class limits in
``classroom_limits.json`` of the data folder). An upload over the quota is refused, saying the quota and the
use; students see their use and delete their own uploads (:func:`list_uploads`, :func:`delete_upload`). The
local user (out of the box) and the teacher have no quota.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from replearn_core.i18n import Message
from replearn_core.runs.access import AccessDenied, User, _read_limits, _write_limits, upload_dir
from replearn_core.runs.store import RunStore
from replearn_core.storage_errors import explained_writes

CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin", ".ckpt")
QUOTA_ENV = "REPLEARN_UPLOAD_QUOTA_MB"
DEFAULT_QUOTA_MB = 200  # per student: four ResNet-18 checkpoints, hundreds of small CNN ones
QUOTA_KEY = "upload_quota_mb"  # in classroom_limits.json
MAX_QUOTA_MB = 1_000_000
MB = 2**20
INCOMING = ".incoming"  # under uploads/: files being checked, in no one's folder
_NAME_CHARS = 60  # of the upload's own name kept in the stored name
_STALE_S = 24 * 3600  # a file left in .incoming by a server stopped mid-check is removed after a day


@dataclass(frozen=True)
class Upload:
    name: str  # the stored file name
    path: Path
    size: int  # bytes
    modified: float  # seconds since the epoch


def safe_upload_name(name: str, data: bytes, suffixes: tuple[str, ...] = CHECKPOINT_SUFFIXES) -> str:
    """The name an upload is stored under: ``<16 hex digits of the bytes' SHA-256>-<its name made plain>``.

    Only the last part of a path counts (``../../x.pt`` and ``C:\\x.pt`` are ``x.pt``); anything but letters,
    digits, '_', '-' and '.' becomes '_', leading dots go, and the name keeps at most 60 characters, ending in
    its suffix. ValueError (``upload.checkpoint_type``) when the suffix is not one of ``suffixes``."""
    base = re.split(r"[/\\]", str(name).replace("\0", ""))[-1]
    suffix = next((s for s in suffixes if base.lower().endswith(s)), None)
    if suffix is None:
        raise ValueError(Message("upload.checkpoint_type", name=base[-80:]))
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", base[:len(base) - len(suffix)]).strip(".")
    return f"{hashlib.sha256(data).hexdigest()[:16]}-{stem[:_NAME_CHARS - len(suffix)] or 'upload'}{suffix}"


# --- the quota --------------------------------------------------------------------------------------------
def default_quota_mb(env: dict | None = None) -> int:
    """REPLEARN_UPLOAD_QUOTA_MB, else 200 (a value that is no whole number of MB is refused)."""
    env = os.environ if env is None else env
    text = str(env.get(QUOTA_ENV, "")).strip()
    if not text:
        return DEFAULT_QUOTA_MB
    if not text.isdigit():
        raise ValueError(f"{QUOTA_ENV}={text!r} is not a whole number of MB")
    return int(text)


def class_quota_mb(store: RunStore) -> int:
    """Each student's upload quota in MB: the teacher's (:func:`save_quota`), else REPLEARN_UPLOAD_QUOTA_MB's."""
    saved = _read_limits(store.root).get(QUOTA_KEY)
    if isinstance(saved, int) and not isinstance(saved, bool) and 0 <= saved <= MAX_QUOTA_MB:
        return saved
    return default_quota_mb()


def quota_bytes(store: RunStore, user: User) -> int | None:
    """The bytes this user's uploads may take together; None for no quota (the local user, the teacher)."""
    return class_quota_mb(store) * MB if user.role == "student" else None


def save_quota(store: RunStore, user: User, megabytes: int) -> int:
    """The teacher sets each student's upload quota (MB, kept in the data folder for every session); returns it.
    Uploads already kept stay; a student over the new quota can upload again once they delete some."""
    if user.role != "teacher":
        raise AccessDenied(Message("upload.teacher_quota"))
    if not (isinstance(megabytes, int) and not isinstance(megabytes, bool) and 0 <= megabytes <= MAX_QUOTA_MB):
        raise ValueError(Message("upload.bad_quota", limit=MAX_QUOTA_MB))
    saved = _read_limits(store.root)
    saved[QUOTA_KEY] = megabytes
    _write_limits(store.root, saved)
    return megabytes


# --- a user's uploads -------------------------------------------------------------------------------------
def list_uploads(store: RunStore, user: User) -> list[Upload]:
    """The user's uploads, newest first."""
    found = []
    for path in upload_dir(store, user).iterdir():
        try:
            info = path.lstat()
        except OSError:
            continue  # deleted meanwhile
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".partial"):
            found.append(Upload(path.name, path, info.st_size, info.st_mtime))
    return sorted(found, key=lambda u: u.modified, reverse=True)


def used_bytes(store: RunStore, user: User) -> int:
    return sum(u.size for u in list_uploads(store, user))


def class_use(store: RunStore, user: User) -> dict[str, int]:
    """{folder of uploads/: bytes} for every student's folder (the teacher only), largest first."""
    if user.role != "teacher":
        raise AccessDenied(Message("upload.teacher_quota"))
    root = Path(store.root) / "uploads"
    use = {}
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in ("_local", "_teacher"):
            use[folder.name] = sum(f.lstat().st_size for f in folder.iterdir() if f.is_file())
    return dict(sorted(use.items(), key=lambda item: -item[1]))


def delete_upload(store: RunStore, user: User, name: str) -> None:
    """Delete one of the user's own uploads by its stored name (nothing else can be named: no folders, no
    ``..``); "no file … among your uploads" otherwise."""
    own = upload_dir(store, user)
    if not isinstance(name, str) or not name or "\0" in name or Path(name).name != name or name in (".", ".."):
        raise AccessDenied(Message("access.no_file", name=str(name)[:80]))
    path = own / name
    if not path.is_file() or path.is_symlink():
        raise AccessDenied(Message("access.no_file", name=name[:80]))
    path.unlink()


def store_upload(store: RunStore, user: User, name: str, data: bytes,
                 check: Callable[[Path], object] | None = None,
                 suffixes: tuple[str, ...] = CHECKPOINT_SUFFIXES) -> Path:
    """Keep an upload as the user's own and return its path, or raise and keep nothing.

    The name is made safe (:func:`safe_upload_name`); the upload must fit the user's quota; ``check`` (e.g.
    "loads into this architecture") runs on a file outside the user's folder and its error propagates; only
    then is the file moved into the folder. An upload kept before (same bytes, same name) is checked again and
    returned, not counted twice."""
    data = bytes(data)
    final = upload_dir(store, user) / safe_upload_name(name, data, suffixes)
    if final.is_file():
        if check is not None:
            check(final)
        return final
    quota = quota_bytes(store, user)
    if quota is not None:
        used = used_bytes(store, user)
        if used + len(data) > quota:
            raise AccessDenied(Message("upload.over_quota", name=final.name.split("-", 1)[1],
                                       size=f"{len(data) / MB:,.1f}", used=f"{used / MB:,.1f}",
                                       quota=f"{quota / MB:,.0f}"))
    incoming = Path(store.root) / "uploads" / INCOMING
    with explained_writes(store.root):  # a full or read-only disk gives the documented message
        incoming.mkdir(parents=True, exist_ok=True)
        _remove_stale(incoming)
        trial_dir = incoming / secrets.token_hex(8)
        trial_dir.mkdir()
    trial = trial_dir / final.name.split("-", 1)[1]  # the name the user gave (made plain): what errors show
    try:
        with explained_writes(store.root):
            trial.write_bytes(data)
        if check is not None:
            check(trial)
        trial.replace(final)  # same file system: atomic, the file appears whole or not at all
    finally:
        shutil.rmtree(trial_dir, ignore_errors=True)
    return final


def _remove_stale(incoming: Path) -> None:
    now = time.time()
    for path in incoming.iterdir():
        try:
            if now - path.lstat().st_mtime > _STALE_S:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            continue


def upload_checkpoint(store: RunStore, user: User, name: str, data: bytes, backbone: str) -> str:
    """The transfer page's checkpoint upload: keep it only if it is a checkpoint that loads into ``backbone``
    (measured before it is read, never unpickled); returns the encoder spec ``file:<path>``. CheckpointError
    (a ValueError) or AccessDenied say why not, and nothing is kept."""
    from replearn_core.checkpoints import load_encoder_file

    path = store_upload(store, user, name, data, check=lambda trial: load_encoder_file(trial, backbone))
    return f"file:{path}"
