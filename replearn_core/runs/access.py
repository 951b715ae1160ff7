"""Who may see and change which run: one user out of the box, students and a teacher in classroom mode.

Out of the box (no ``REPLEARN_CLASSROOM``) there is one user, :data:`LOCAL`, who sees and may change every
run, as before. In classroom mode every run belongs to the student who started it:

- a student sees their own runs, the shipped reference runs and the runs the teacher shared with the class
  (read-only); they may cancel and delete only their own;
- the teacher (unlocked by a password whose PBKDF2 hash is in ``REPLEARN_TEACHER_PASSWORD_HASH``) sees,
  cancels, deletes and shares every run.

The checks live here, in the engine, not in the pages: :func:`get_run` answers "no run with that id" for a
run the user may not see (so an id cannot be probed), and :func:`require_change` refuses the rest. A run of
another student's, or its checkpoints and files, is reached only through these.

Settings (environment variables, documented in the README and docs/deploy.md):
``REPLEARN_CLASSROOM=1``, ``REPLEARN_CLASS_CODE`` (students give it on their first visit),
``REPLEARN_TEACHER_PASSWORD_HASH`` (``python -m replearn_core teacher-password`` makes one),
``REPLEARN_MAX_ACTIVE_RUNS`` (per student, default 1), ``REPLEARN_MAX_EPOCHS`` (per run, default 0 = no limit).
The teacher may change the two limits for this server from the Teacher page (:func:`save_limits`): they are kept
in ``classroom_limits.json`` in the data folder, so every session and worker reads them; the variables are the
defaults until then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

from replearn_core.i18n import Message
from replearn_core.runs.store import Run, RunNotFound, RunStore

ROLES = ("local", "student", "teacher")
LIMITS_FILE = "classroom_limits.json"  # in the data folder: the teacher's limits for this server
_PBKDF2_ITERATIONS = 200_000


class AccessDenied(PermissionError):
    """The user may see the run but not do this to it (a student and another's or a shared run)."""


@dataclass(frozen=True)
class User:
    name: str | None  # None for the single local user
    role: str = "student"  # local, student or teacher

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; known: {', '.join(ROLES)}")
        if self.role == "student" and not valid_name(self.name or ""):
            raise ValueError(Message("access.bad_name"))

    @property
    def sees_everything(self) -> bool:
        return self.role in ("local", "teacher")

    @property
    def owner(self) -> str | None:
        """What the run store records as the owner of this user's runs."""
        return None if self.role == "local" else self.name


LOCAL = User(None, "local")


def valid_name(name: str) -> bool:
    return bool(re.fullmatch(r"[\w .\-]{1,40}", name.strip())) and bool(name.strip())


@dataclass(frozen=True)
class ClassroomSettings:
    enabled: bool = False
    class_code: str | None = None
    teacher_password_hash: str | None = None
    max_active_runs: int = 1  # per student: queued + running
    max_epochs: int = 0  # per run; 0 = no limit

    @classmethod
    def from_env(cls, env: dict | None = None, root: Path | str | None = None) -> "ClassroomSettings":
        """The settings of the environment; with ``root`` (the data folder), the limits the teacher saved there
        (:func:`save_limits`) take the place of the variables'."""
        env = os.environ if env is None else env
        enabled = env.get("REPLEARN_CLASSROOM", "").strip().lower() in ("1", "true", "yes", "on")

        def whole(name: str, default: int) -> int:
            text = env.get(name, "").strip()
            if not text:
                return default
            if not text.isdigit():
                raise ValueError(f"{name}={text!r} is not a whole number")
            return int(text)

        settings = cls(enabled, env.get("REPLEARN_CLASS_CODE") or None,
                       env.get("REPLEARN_TEACHER_PASSWORD_HASH") or None,
                       whole("REPLEARN_MAX_ACTIVE_RUNS", 1), whole("REPLEARN_MAX_EPOCHS", 0))
        return settings if root is None else replace(settings, **saved_limits(root))


def saved_limits(root: Path | str) -> dict:
    """The limits the teacher saved in the data folder ({} when none, or when the file is unreadable)."""
    try:
        saved = json.loads((Path(root) / LIMITS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: int(v) for k, v in saved.items() if k in ("max_active_runs", "max_epochs")
            and isinstance(v, int) and not isinstance(v, bool) and v >= 0}


def save_limits(store: RunStore, user: User, max_active_runs: int, max_epochs: int) -> ClassroomSettings:
    """The teacher sets the class limits for this server (kept in the data folder, read by every session and
    worker in place of REPLEARN_MAX_ACTIVE_RUNS and REPLEARN_MAX_EPOCHS); returns the settings now in force."""
    if user.role != "teacher":
        raise AccessDenied(Message("access.teacher_limits"))
    if not (isinstance(max_active_runs, int) and max_active_runs >= 1):
        raise ValueError(Message("access.limit_runs"))
    if not (isinstance(max_epochs, int) and max_epochs >= 0):
        raise ValueError(Message("access.limit_epochs"))
    path = Path(store.root) / LIMITS_FILE
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"max_active_runs": max_active_runs, "max_epochs": max_epochs}))
    partial.replace(path)  # atomic: another session never reads half a file
    return ClassroomSettings.from_env(root=store.root)


# --- teacher password ---------------------------------------------------------------
def hash_password(password: str, salt: str | None = None, iterations: int = _PBKDF2_ITERATIONS) -> str:
    """``pbkdf2_sha256$iterations$salt$hex``: what goes into REPLEARN_TEACHER_PASSWORD_HASH."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether the password matches the stored hash (constant-time compare); False for a malformed hash."""
    try:
        scheme, iterations, salt, digest = (stored or "").split("$")
        if scheme != "pbkdf2_sha256":
            return False
        candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    except ValueError:
        return False
    return hmac.compare_digest(candidate, digest)


def sign_in(name: str, class_code: str | None = None, teacher_password: str | None = None,
            settings: ClassroomSettings | None = None) -> User:
    """The user a visitor becomes: LOCAL outside classroom mode; else a student (the class code must match) or,
    with the right password, the teacher. ValueError says what was wrong."""
    settings = settings or ClassroomSettings.from_env()
    if not settings.enabled:
        return LOCAL
    if teacher_password is not None:
        if not settings.teacher_password_hash:
            raise ValueError(Message("access.no_password"))
        if not check_password(teacher_password, settings.teacher_password_hash):
            raise ValueError(Message("access.wrong_password"))
        return User(name.strip() or "teacher", "teacher")
    if settings.class_code and not hmac.compare_digest((class_code or "").strip(), settings.class_code):
        raise ValueError(Message("access.wrong_code"))
    if not valid_name(name):
        raise ValueError(Message("access.give_name"))
    return User(name.strip(), "student")


# --- the browser keeps who it is: a signed token ------------------------------------
def classroom_secret(root: Path) -> bytes:
    """The key that signs users' tokens: REPLEARN_SECRET, else a random key made once in the data folder
    (readable by its owner only)."""
    if os.environ.get("REPLEARN_SECRET"):
        return os.environ["REPLEARN_SECRET"].encode()
    path = Path(root) / "classroom.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def issue_token(user: User, secret: bytes) -> str:
    """``<payload>.<signature>``: who the user is, signed, for the URL (``?me=``) of their browser."""
    payload = base64.urlsafe_b64encode(json.dumps([user.name, user.role]).encode()).decode().rstrip("=")
    return f"{payload}.{hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]}"


def read_token(token: str, secret: bytes) -> User | None:
    """The user a token names, or None when it is malformed or its signature does not match (a forged or
    edited token never becomes a user, least of all the teacher)."""
    try:
        payload, signature = token.rsplit(".", 1)
        expected = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(signature, expected):
            return None
        name, role = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return User(name, role)
    except (ValueError, TypeError):
        return None


# --- what a user may see and do ---------------------------------------------------
def can_see(user: User, run: Run) -> bool:
    return user.sees_everything or run.reference or run.shared or run.owner == user.owner


def can_change(user: User, run: Run) -> bool:
    """Cancel, delete, share: the owner (or the teacher, or the local user); never a reference run."""
    return not run.reference and (user.sees_everything or (run.owner is not None and run.owner == user.owner))


def get_run(store: RunStore, user: User, run_id: str) -> Run:
    """The run, if the user may see it; otherwise the same RunNotFound as for an id that does not exist."""
    run = store.get_run(run_id)
    if not can_see(user, run):
        raise RunNotFound(Message("access.no_run", run_id=run_id))
    return run


def list_runs(store: RunStore, user: User, kind: str | None = None, status: str | None = None) -> list[Run]:
    """The runs the user may see, newest first."""
    return [r for r in store.list_runs(kind=kind, status=status) if can_see(user, r)]


def require_change(store: RunStore, user: User, run_id: str, what: str) -> Run:
    run = get_run(store, user, run_id)
    if run.reference:
        return run  # the store's own refusal says why a reference run is read-only
    if not can_change(user, run):
        raise AccessDenied(Message(f"access.not_yours_{'shared_' if run.shared else ''}{what}", run_id=run_id,
                                   owner=run.owner or "teacher"))
    return run


def cancel(store: RunStore, user: User, run_id: str) -> None:
    require_change(store, user, run_id, "cancel")
    store.request_cancel(run_id)


def delete(store: RunStore, user: User, run_id: str) -> None:
    require_change(store, user, run_id, "delete")
    store.delete_run(run_id)


def share(store: RunStore, user: User, run_id: str, shared: bool = True) -> None:
    """Show a run to the whole class, read-only (the teacher only)."""
    if user.role == "student":
        raise AccessDenied(Message("access.teacher_share"))
    require_change(store, user, run_id, "share")
    store.update(run_id, shared=int(shared))


def check_submit(store: RunStore, user: User, config: dict, settings: ClassroomSettings | None = None,
                 count: int = 1) -> None:
    """Refuse ``count`` new runs of this config that the classroom's limits forbid, saying which limit (students
    only). The limits are the teacher's saved ones (:func:`save_limits`), else the environment's."""
    settings = settings or ClassroomSettings.from_env(root=store.root)
    if user.role != "student" or not settings.enabled:
        return
    epochs = config.get("epochs")
    if settings.max_epochs and isinstance(epochs, int) and epochs > settings.max_epochs:
        raise AccessDenied(Message("access.too_many_epochs", epochs=epochs, limit=settings.max_epochs))
    active = [r for r in store.list_runs() if r.active and r.owner == user.owner]
    if len(active) + count > settings.max_active_runs:
        raise AccessDenied(Message("access.too_many_runs_batch" if count > 1 else "access.too_many_runs",
                                   n=len(active), count=count, total=len(active) + count, limit=settings.max_active_runs))


def submit_as(user: User, kind: str, config: dict, name: str | None = None, store: RunStore | None = None,
              settings: ClassroomSettings | None = None) -> str:
    """Queue a run as the user's own: the class limits first, then the worker (every page's Train goes here)."""
    from replearn_core.runs.worker import submit

    store = store or RunStore()
    check_submit(store, user, config, settings)
    return submit(kind, config, name=name, store=store, owner=user.owner)


def submit_all_as(user: User, runs: list[tuple[str, dict, str | None]], store: RunStore | None = None,
                  settings: ClassroomSettings | None = None) -> list[str]:
    """Queue several runs [(kind, config, name)] as the user's: all of them within the class limits, or none."""
    store = store or RunStore()
    for _, config, _ in runs:
        check_submit(store, user, config, settings, count=len(runs))
    return [submit_as(user, kind, config, name=name, store=store, settings=settings) for kind, config, name in runs]


# --- the queue: where a run stands and when it may start ------------------------------
@dataclass(frozen=True)
class QueueSpot:
    position: int  # 1 = the next run to start
    wait_s: float | None  # estimated seconds until it starts; None when no run of a kind ahead has finished yet


def median_duration(store: RunStore, kind: str) -> float | None:
    """The median duration (s) of this server's finished runs of a kind (reference runs excluded: they were
    measured elsewhere); None when there is none."""
    durations = [r.duration_s for r in store.list_runs(kind=kind, status="finished")
                 if not r.reference and r.duration_s is not None]
    return statistics.median(durations) if durations else None


def queue_spot(store: RunStore, run_id: str, concurrency: int | None = None) -> QueueSpot | None:
    """Where a queued run stands in the (fair, round-robin) queue, and about how long until it starts: the
    runs ahead of it and the rest of the running ones, each taking the median duration of finished runs of its
    kind, shared over ``concurrency`` slots (REPLEARN_CONCURRENCY). None when the run is not queued."""
    order = store.queue_order()
    if run_id not in order:
        return None
    if concurrency is None:
        from replearn_core.runs.worker import concurrency as configured

        concurrency = configured()
    position = order.index(run_id) + 1
    medians: dict[str, float | None] = {}

    def typical(kind: str) -> float | None:
        if kind not in medians:
            medians[kind] = median_duration(store, kind)
        return medians[kind]

    now, work = time.time(), 0.0
    ahead = [store.get_run(rid) for rid in order[:position - 1]]
    for run in ahead + store.list_runs(status="running"):
        expected = typical(run.kind)
        if expected is None:
            return QueueSpot(position, None)
        elapsed = now - run.started if run.status == "running" and run.started else 0.0
        work += max(0.0, expected - elapsed)
    return QueueSpot(position, work / max(1, concurrency))


def overview(store: RunStore, user: User) -> list[dict]:
    """Every run for the teacher's page, newest first: id, owner, kind, method, dataset, status, queue position
    (1 = next), shared, reference, created. The teacher only."""
    if user.role != "teacher":
        raise AccessDenied(Message("access.teacher_overview"))
    position = {rid: i + 1 for i, rid in enumerate(store.queue_order())}
    return [{"id": r.id, "owner": r.owner, "kind": r.kind, "method": r.config.get("method"),
             "dataset": r.config.get("dataset"), "status": r.status, "position": position.get(r.id),
             "shared": r.shared, "reference": r.reference, "created": r.created}
            for r in list_runs(store, user)]
