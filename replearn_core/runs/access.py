"""Who may see and change which run: one user out of the box, students and a teacher in classroom mode.

Out of the box (no ``REPLEARN_CLASSROOM``) there is one user, :data:`LOCAL`, who sees and may change every
run, as before. In classroom mode every run belongs to the student who started it:

- a student sees their own runs, the shipped reference runs and the runs the teacher shared with the class
  (read-only); they may cancel and delete only their own;
- the teacher sees, cancels, deletes and shares every run.

Who is who is :mod:`replearn_core.runs.signin`'s: the school's identity provider, sign-in codes the teacher hands
out, or the teacher's password (its PBKDF2 hash in ``REPLEARN_TEACHER_PASSWORD_HASH``, :func:`hash_password`).

The checks live here, in the engine, not in the pages: :func:`get_run` answers "no run with that id" for a
run the user may not see (so an id cannot be probed), and :func:`require_change` refuses the rest. A run of
another student's, or its checkpoints and files, is reached only through these.

Settings (environment variables, documented in the README and docs/deploy.md):
``REPLEARN_CLASSROOM=1``, ``REPLEARN_TEACHER_PASSWORD_HASH`` (``python -m replearn_core teacher-password`` makes one),
``REPLEARN_MAX_ACTIVE_RUNS`` (per student, default 1), ``REPLEARN_MAX_EPOCHS`` (per run, default 0 = no limit),
``REPLEARN_ALLOWED_BACKBONES`` (comma-separated; empty = every backbone).
The teacher may change these limits for this server from the Teacher page (:func:`save_limits`), for the whole
class and for one student (who then has limits of their own, e.g. more runs for a student who is ahead): they
are kept in ``classroom_limits.json`` in the data folder, so every session and worker reads them; the variables
are the defaults until then.

Uploaded files (a checkpoint to transfer from) are kept per owner (:func:`upload_dir`); a run that names a file
(``encoder: "file:…"``) is refused unless the file is in its owner's upload folder (:func:`check_file`), so
a student cannot read another student's upload, or any other file of the server, by naming its path.
"""

from __future__ import annotations

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
from replearn_core.runs.reference import open_store
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
    """1 to 64 letters, digits, spaces, '-', '_', '.', '@' or '+' (an identity provider's account is named by
    its e-mail), not dots alone: ``.`` and ``..`` would name the uploads folder itself or the data folder
    (:func:`upload_dir`)."""
    name = name.strip() if isinstance(name, str) else ""
    return bool(re.fullmatch(r"[\w .@+\-]{1,64}", name)) and bool(name.strip(". "))


@dataclass(frozen=True)
class Limits:
    """What one student may start."""

    max_active_runs: int = 1  # queued + running
    max_epochs: int = 0  # per run; 0 = no limit
    allowed_backbones: tuple[str, ...] = ()  # empty: every backbone

    def to_dict(self) -> dict:
        return {"max_active_runs": self.max_active_runs, "max_epochs": self.max_epochs,
                "allowed_backbones": list(self.allowed_backbones)}


def _limits_of(saved: dict, base: Limits) -> Limits:
    """``base`` with the well-formed fields of a saved dict in place (a bad field keeps the base's value)."""
    fields = {k: int(v) for k, v in saved.items() if k in ("max_active_runs", "max_epochs")
              and isinstance(v, int) and not isinstance(v, bool) and v >= 0}
    if fields.get("max_active_runs") == 0:
        del fields["max_active_runs"]
    backbones = saved.get("allowed_backbones")
    if isinstance(backbones, list) and all(isinstance(b, str) for b in backbones):
        fields["allowed_backbones"] = tuple(backbones)
    return replace(base, **fields)


@dataclass(frozen=True)
class ClassroomSettings:
    enabled: bool = False
    teacher_password_hash: str | None = None
    max_active_runs: int = 1  # per student: queued + running
    max_epochs: int = 0  # per run; 0 = no limit
    allowed_backbones: tuple[str, ...] = ()  # empty: every backbone
    students: tuple[tuple[str, Limits], ...] = ()  # a student's own limits, in place of the class's

    @property
    def class_limits(self) -> Limits:
        return Limits(self.max_active_runs, self.max_epochs, self.allowed_backbones)

    def limits_for(self, name: str | None) -> Limits:
        """The limits that hold for this student: their own if the teacher set some, else the class's."""
        return dict(self.students).get(name, self.class_limits)

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

        backbones = tuple(b.strip() for b in env.get("REPLEARN_ALLOWED_BACKBONES", "").split(",") if b.strip())
        settings = cls(enabled, env.get("REPLEARN_TEACHER_PASSWORD_HASH") or None,
                       whole("REPLEARN_MAX_ACTIVE_RUNS", 1), whole("REPLEARN_MAX_EPOCHS", 0), backbones)
        if root is None:
            return settings
        saved = _read_limits(root)
        whole_class = _limits_of(saved, settings.class_limits)
        students = tuple(sorted((name, _limits_of(own, whole_class)) for name, own in
                                (saved.get("students") or {}).items() if isinstance(own, dict)))
        return replace(settings, max_active_runs=whole_class.max_active_runs, max_epochs=whole_class.max_epochs,
                       allowed_backbones=whole_class.allowed_backbones, students=students)


def _read_limits(root: Path | str) -> dict:
    try:
        saved = json.loads((Path(root) / LIMITS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def saved_limits(root: Path | str) -> dict:
    """The class limits the teacher saved in the data folder ({} when none, or when the file is unreadable)."""
    saved = _read_limits(root)
    return {k: v for k, v in _limits_of(saved, Limits()).to_dict().items() if k in saved}


def _checked_limits(max_active_runs: int, max_epochs: int, allowed_backbones) -> Limits:
    from replearn_core.backbones import BACKBONES

    if not (isinstance(max_active_runs, int) and max_active_runs >= 1):
        raise ValueError(Message("access.limit_runs"))
    if not (isinstance(max_epochs, int) and max_epochs >= 0):
        raise ValueError(Message("access.limit_epochs"))
    allowed = tuple(allowed_backbones or ())
    unknown = [b for b in allowed if b not in BACKBONES]
    if unknown:
        raise ValueError(Message("access.unknown_backbones", names=", ".join(unknown), known=", ".join(BACKBONES)))
    return Limits(max_active_runs, max_epochs, allowed)


def save_limits(store: RunStore, user: User, max_active_runs: int, max_epochs: int,
                allowed_backbones=None, student: str | None = None) -> ClassroomSettings:
    """The teacher sets the limits for this server: the whole class's, or with ``student`` one student's own
    (kept in the data folder, read by every session and worker in place of the REPLEARN_MAX_* variables);
    returns the settings now in force. ``allowed_backbones``: the backbones runs may use (empty: all)."""
    if user.role != "teacher":
        raise AccessDenied(Message("access.teacher_limits"))
    limits = _checked_limits(max_active_runs, max_epochs, allowed_backbones)
    if student is not None and not valid_name(student):
        raise ValueError(Message("access.bad_name"))
    saved = _read_limits(store.root)
    if student is None:
        saved.update(limits.to_dict())
    else:
        saved.setdefault("students", {})[student.strip()] = limits.to_dict()
    _write_limits(store.root, saved)
    return ClassroomSettings.from_env(root=store.root)


def clear_student_limits(store: RunStore, user: User, student: str) -> ClassroomSettings:
    """The teacher removes a student's own limits: the class's hold for them again."""
    if user.role != "teacher":
        raise AccessDenied(Message("access.teacher_limits"))
    saved = _read_limits(store.root)
    (saved.get("students") or {}).pop(student, None)
    _write_limits(store.root, saved)
    return ClassroomSettings.from_env(root=store.root)


def _write_limits(root: Path | str, saved: dict) -> None:
    from replearn_core.storage_errors import write_atomically

    # atomic: another session never reads half a file; a full or read-only disk is one clear message
    write_atomically(Path(root) / LIMITS_FILE, json.dumps(saved, indent=1, sort_keys=True), Path(root))


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


# --- what a user may see and do ---------------------------------------------------
def can_see(user: User, run: Run) -> bool:
    return user.sees_everything or run.reference or run.shared or run.owner == user.owner


def can_change(user: User, run: Run) -> bool:
    """Cancel, delete, share: the owner (or the teacher, or the local user); never a reference run."""
    return not run.reference and (user.sees_everything or (run.owner is not None and run.owner == user.owner))


def get_run(store: RunStore, user: User, run_id: str) -> Run:
    """The run, if the user may see it; otherwise RunNotFound("no run with id …"), the very same error for a
    run of another student's as for an id that does not exist, so a link cannot tell them apart."""
    try:
        run = store.get_run(run_id)
    except RunNotFound:
        run = None
    if run is None or not can_see(user, run):
        raise RunNotFound(Message("access.no_run", run_id=run_id))
    return run


def get_runs(store: RunStore, user: User, run_ids) -> dict[str, Run]:
    """{id: run} for the ids (in order) of runs the user may see; the rest (another student's, deleted, made up)
    are left out alike."""
    runs = {}
    for run_id in run_ids:
        try:
            runs[run_id] = get_run(store, user, run_id)
        except RunNotFound:
            continue
    return runs


def run_metrics(store: RunStore, user: User, run_id: str, keys: list[str] | None = None) -> dict:
    """A run's curves ({key: (steps, values)}), if the user may see the run (else :func:`get_run`'s error)."""
    get_run(store, user, run_id)
    return store.metrics(run_id, keys)


def run_artifacts(store: RunStore, user: User, run_id: str, kind: str | None = None) -> list:
    """A run's stored files (checkpoints, tables, pictures), if the user may see the run: what a download or an
    export reads (else :func:`get_run`'s error)."""
    get_run(store, user, run_id)
    return store.artifacts(run_id, kind=kind)


def list_runs(store: RunStore, user: User, kind: str | None = None, status: str | None = None) -> list[Run]:
    """The runs the user may see, newest first."""
    return [r for r in store.list_runs(kind=kind, status=status) if can_see(user, r)]


def latest_run(store: RunStore, user: User, kind: str) -> Run | None:
    """The newest run of a kind the user may see that was started here (a shipped reference run is not a
    page's own); None when there is none."""
    runs = [r for r in list_runs(store, user, kind=kind) if not getattr(r, "reference", False)]
    return runs[0] if runs else None


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


RUN_FIELDS = ("encoder",)  # config fields that may name another run, whose checkpoint the new run reads
_NOT_RUNS = ("", "random", "imagenet")  # the values of those fields that name no run


def runs_named(config: dict) -> list[str]:
    """The ids of the runs a config reads from (a transfer's ``encoder``), for :func:`check_submit`. ``file:…``
    is an upload (checked by :func:`check_file`); ``@…`` a run the same submission queues first (a claim's
    transfer from its own SSL run), checked again once it has its id."""
    named = []
    for field in RUN_FIELDS:
        value = config.get(field)
        if isinstance(value, str) and value.strip() not in _NOT_RUNS and not value.startswith(("file:", "@")):
            named.append(value.strip())
    return named


def check_submit(store: RunStore, user: User, config: dict, settings: ClassroomSettings | None = None,
                 count: int = 1) -> None:
    """Refuse ``count`` new runs of this config that the classroom's limits forbid, saying which limit (students
    only). The limits are the teacher's saved ones (:func:`save_limits`), else the environment's. For every
    user, a run the config reads from (:func:`runs_named`) must be one they may see: another student's is
    refused as "no run with that id", the same as an id that does not exist."""
    settings = settings or ClassroomSettings.from_env(root=store.root)
    for run_id in runs_named(config):  # a run whose files this one reads must be one the user may see
        get_run(store, user, run_id)
    if user.role != "student" or not settings.enabled:
        return
    limits = settings.limits_for(user.name)
    epochs = config.get("epochs")
    if limits.max_epochs and isinstance(epochs, int) and epochs > limits.max_epochs:
        raise AccessDenied(Message("access.too_many_epochs", epochs=epochs, limit=limits.max_epochs))
    backbone = config.get("backbone")
    if limits.allowed_backbones and isinstance(backbone, str) and backbone not in limits.allowed_backbones:
        raise AccessDenied(Message("access.backbone_not_allowed", backbone=backbone,
                                   allowed=", ".join(limits.allowed_backbones)))
    for value in config.values():
        if isinstance(value, str) and value.startswith("file:"):
            check_file(store, user, value[len("file:"):])
        elif isinstance(value, str) and value.startswith("folder:"):
            check_folder(store, user, value[len("folder:"):])
    active = [r for r in store.list_runs() if r.active and r.owner == user.owner]
    if len(active) + count > limits.max_active_runs:
        raise AccessDenied(Message("access.too_many_runs_batch" if count > 1 else "access.too_many_runs",
                                   n=len(active), count=count, total=len(active) + count, limit=limits.max_active_runs))


# --- uploaded files ------------------------------------------------------------------
def upload_dir(store: RunStore, user: User) -> Path:
    """The folder of this user's uploads in the data folder, created on first use: ``uploads/<name>`` for a
    student whose name is a plain file name (a letter or digit, then letters, digits, '_', '-', '.'), else
    ``uploads/<the name made plain>~<digest of the name>``, so that two names never share a folder ("Ana Li" and
    "Ana_Li"); the local user's and the teacher's are ``uploads/_local`` and ``uploads/_teacher``, which no
    student's folder can be (a student named "_teacher" gets "_teacher~…"). Never outside ``uploads/``."""
    root = (Path(store.root) / "uploads").resolve()
    if user.role == "student":
        name = (user.name or "").strip()
        if not valid_name(name):
            raise AccessDenied(Message("access.bad_name"))
        folder = name
        if not re.fullmatch(r"[^\W_][\w.-]*", name) or name.endswith("."):
            plain = re.sub(r"[^\w.-]", "_", name).strip(".") or "_"
            folder = f"{plain}~{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    else:
        folder = f"_{user.role}"
    path = root / folder
    if path.parent != root:  # a name can never lead elsewhere; this keeps it so if the rules above change
        raise AccessDenied(Message("access.bad_name"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_file(store: RunStore, user: User, path: str | Path) -> Path:
    """The file, if the user may read it: anything for the local user and the teacher, for a student only their
    own uploads (a link or ``..`` that leads outside is refused); else "no such file", the same as for a file
    that does not exist, so a path cannot be probed."""
    text = str(path)
    if "\0" in text:
        raise AccessDenied(Message("access.no_file", name=Path(text.replace("\0", "")).name[:80]))
    resolved = Path(path).expanduser().resolve()
    if user.role == "student":
        own = upload_dir(store, user).resolve()
        if resolved.parent != own or not resolved.is_file():
            raise AccessDenied(Message("access.no_file", name=Path(path).name[:80]))
    return resolved


def submit_as(user: User, kind: str, config: dict, name: str | None = None, store: RunStore | None = None,
              settings: ClassroomSettings | None = None) -> str:
    """Queue a run as the user's own: the class limits first, then the worker (every page's Train goes here)."""
    from replearn_core.runs.worker import submit

    store = store or open_store()
    check_submit(store, user, config, settings)
    return submit(kind, config, name=name, store=store, owner=user.owner)


def submit_all_as(user: User, runs: list[tuple[str, dict, str | None]], store: RunStore | None = None,
                  settings: ClassroomSettings | None = None) -> list[str]:
    """Queue several runs [(kind, config, name)] as the user's: all of them within the class limits, or none."""
    store = store or open_store()
    for _, config, _ in runs:
        check_submit(store, user, config, settings, count=len(runs))
    return [submit_as(user, kind, config, name=name, store=store, settings=settings) for kind, config, name in runs]



def check_folder(store: RunStore, user: User, path: str | Path) -> None:
    """An image folder a student trains on must not lie among the runs' or the uploads' files of the data folder
    (other students' checkpoints and uploads); any other folder of the server is the teacher's to share."""
    if user.role != "student":
        return
    resolved, root = Path(path).expanduser().resolve(), Path(store.root).resolve()
    if resolved == root or any(resolved.is_relative_to(root / name) for name in ("runs", "uploads")):
        raise AccessDenied(Message("access.private_folder", path=str(path)))


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
    kind, shared over ``concurrency`` slots (by default the device's: :func:`replearn_core.runs.processes.concurrency`).
    None when the run is not queued."""
    order = store.queue_order()
    if run_id not in order:
        return None
    if concurrency is None:
        from replearn_core.runs.processes import concurrency as configured, device_key

        slots = configured(device_key(store.get_run(run_id).config))
        concurrency = slots(len(store.list_runs(status="running"))) if callable(slots) else slots
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
