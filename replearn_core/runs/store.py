"""The run store: every run, its metrics and its files, in one SQLite database.

WAL mode lets the web server read while a worker process writes. Files
(checkpoints as safetensors, embeddings, sample images) live in
``<data folder>/runs/<run id>/`` and are listed in the ``artifacts`` table.

Statuses: ``queued`` -> ``running`` -> ``finished`` | ``failed`` | ``cancelled``.

*Reference runs* (``reference = 1``) are the long runs shipped in ``assets/reference_runs``:
the store lists them like any finished run, but their files stay in the assets folder and
they cannot be deleted or cancelled. :func:`replearn_core.runs.reference.open_store` (how the app, the
warm worker and the command line open the store) keeps them in step with the assets; ``RunStore()`` itself
only opens the database, so this module imports nothing of the reference runs or the checkpoints.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from replearn_core.i18n import Message
from replearn_core.paths import data_dir
from replearn_core.storage_errors import StoreUnavailable, explain_storage_error, explained_writes, read_only

ACTIVE = ("queued", "running")
DONE = ("finished", "failed", "cancelled")
STALE_AFTER_S = 120.0  # a running run whose process has not reported for this long is dead

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    device TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    pid INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    key TEXT NOT NULL,
    value REAL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, key, step);
-- the damaged metric rows only (edited outside the lab: a step or value that is not a number), kept by SQLite
-- on every write, whoever makes it: listing the runs finds them without reading every metric
CREATE INDEX IF NOT EXISTS metrics_damaged ON metrics (run_id, key)
    WHERE NOT (typeof(step) = 'integer' AND typeof(value) IN ('real', 'integer', 'null'));
CREATE TABLE IF NOT EXISTS artifacts (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    step INTEGER,
    created REAL NOT NULL,
    meta TEXT,
    PRIMARY KEY (run_id, name)
);
"""
# columns added after the first release, with their definitions: an older database gains them on open
_ADDED_COLUMNS = {
    "reference": "INTEGER NOT NULL DEFAULT 0",  # 1 = shipped reference run, read-only
    "asset_hash": "TEXT",  # a reference run's asset content hash, to re-import only what changed
    "warnings": "TEXT NOT NULL DEFAULT '[]'",  # JSON list of messages the user should act on (skipped files, ...)
    "owner": "TEXT",  # classroom mode: the student who started the run (NULL: the local user or the teacher)
    "shared": "INTEGER NOT NULL DEFAULT 0",  # 1 = the teacher shared it with the class (read-only for them)
}


@dataclass
class Run:
    id: str
    kind: str
    name: str
    config: dict
    status: str
    device: str | None
    created: float
    started: float | None
    finished: float | None
    error: str | None
    pid: int | None
    heartbeat: float | None
    cancel_requested: bool
    progress: float
    message: str | None
    summary: dict = field(default_factory=dict)
    reference: bool = False  # a shipped reference run: read-only, its files live in assets/
    warnings: list[str] = field(default_factory=list)  # what the user should act on, each with what to try
    owner: str | None = None  # who started it in classroom mode (replearn_core.runs.access); None = local
    shared: bool = False  # shown to the whole class, read-only
    # what of its stored record is damaged (edited or corrupted): one message each, naming the run and the field;
    # a damaged field reads as its empty default, so the rest of the run still shows
    damage: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float | None:
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class Artifact:
    run_id: str
    name: str
    kind: str
    path: Path
    step: int | None
    created: float
    meta: dict


class RunNotFound(KeyError):
    pass


class ReferenceRunError(ValueError):
    """Raised when asked to delete or cancel a reference run: they are read-only."""


class _Database:
    """The store's SQLite connection. A full disk, or a lock another program holds longer than
    ``BUSY_TIMEOUT_S``, becomes a :class:`StoreUnavailable` that says so and what to do."""

    BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's transaction before giving up

    def __init__(self, path: Path, read_only: bool = False):
        """read_only: open an existing database for reading only (its folder cannot be written): first as a
        read-only connection, which sees the latest commits; where SQLite cannot even make its shared-memory
        file there, as an immutable file (the database as last checkpointed)."""
        self.path = path
        if not read_only:
            self.connection = sqlite3.connect(path, timeout=self.BUSY_TIMEOUT_S, check_same_thread=False,
                                              isolation_level=None)
        else:
            for mode in ("mode=ro", "immutable=1"):
                self.connection = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True,
                                                  timeout=self.BUSY_TIMEOUT_S, check_same_thread=False,
                                                  isolation_level=None)
                try:
                    self.connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                    break
                except sqlite3.OperationalError:
                    self.connection.close()
                    if mode == "immutable=1":
                        raise
        self.connection.row_factory = sqlite3.Row

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def execute(self, sql: str, args=()) -> sqlite3.Cursor:
        return self._explained(self.connection.execute, sql, args)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        return self._explained(self.connection.executemany, sql, rows)

    def executescript(self, script: str) -> sqlite3.Cursor:
        return self._explained(self.connection.executescript, script)

    def _explained(self, call, *args):
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            explained = explain_storage_error(exc, self.path.parent)
            if explained is exc:
                raise
            raise explained from exc

    def close(self) -> None:
        self.connection.close()


class RunStore:
    """All runs of one data folder. Safe to share between threads; each process opens its own."""

    def __init__(self, root: str | Path | None = None):
        """Open (or create) the store of a data folder. The shipped reference runs are registered by
        :func:`replearn_core.runs.reference.open_store`, which the app, the warm worker and the command line
        open their store with; a store opened here lists the reference runs registered before."""
        self.root = Path(root) if root else data_dir()
        with explained_writes(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "runs.sqlite"
        self._lock = threading.RLock()
        # why this store only reads (a StoreUnavailable naming the folder), or None: a data folder that cannot be
        # written is still listed and viewed; a write raises the same error
        self.read_only: StoreUnavailable | None = None
        self._db = None
        try:
            self._db = _Database(self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._lock:
                self._create_or_upgrade_schema()
        except (StoreUnavailable, sqlite3.OperationalError) as exc:
            if not _cannot_write(exc, self.root):
                raise
            if self._db is not None:
                self._db.close()
            if not self.path.is_file():  # nothing stored yet, and nothing can be: one clear error
                raise read_only(self.root) from exc
            self.read_only = read_only(self.root)
            self._db = _Database(self.path, read_only=True)
        self.reference_problems: list[str] = []  # one message per reference run that could not be registered

    @contextmanager
    def _transaction(self):
        """Hold the lock and an immediate (write) transaction: committed at the end, rolled back on an error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back (a full disk, for one)
                    self._db.execute("ROLLBACK")
                raise

    def _create_or_upgrade_schema(self) -> None:
        """Create the tables, or add the columns an older database lacks. An up-to-date database is only read,
        so the store opens (and the pages show the runs) while another program holds the write lock."""
        def missing_columns() -> list[str]:
            present = {row["name"] for row in self._db.execute("PRAGMA table_info(runs)")}
            return [name for name in _ADDED_COLUMNS if name not in present]

        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        if {"runs", "metrics", "artifacts", "metrics_by_run", "metrics_damaged"} <= tables and not missing_columns():
            return
        self._db.executescript(_SCHEMA)
        with self._transaction():  # two processes opening an old database must not both add a column
            for name in missing_columns():
                self._db.execute(f"ALTER TABLE runs ADD COLUMN {name} {_ADDED_COLUMNS[name]}")

    # --- runs -------------------------------------------------------------------------
    def create_run(self, kind: str, config: dict, name: str | None = None, owner: str | None = None) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        name = name or f"{kind} {config.get('method', '')}".strip()
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (id, kind, name, config, status, created, owner) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                (run_id, kind, name, json.dumps(config), time.time(), owner))
        self.run_dir(run_id)
        return run_id

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return _to_run(row, self._stored_damage(run_id).get(run_id, ()))

    def list_runs(self, kind: str | None = None, status: str | None = None) -> list[Run]:
        """All runs, newest first; dead runs are marked failed before listing."""
        self.reap_dead()
        query, args = "SELECT * FROM runs WHERE 1=1", []
        if kind:
            query += " AND kind = ?"
            args.append(kind)
        if status:
            query += " AND status = ?"
            args.append(status)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created DESC", args).fetchall()
        damage = self._stored_damage() if rows else {}
        return [_to_run(r, damage.get(r["id"], ())) for r in rows]

    def _stored_damage(self, run_id: str | None = None) -> dict[str, list[str]]:
        """{run id: messages} for the damaged metric values (not numbers) and file descriptions (not JSON
        objects) of one run or of all: they are left out where they are read, and named beside the run."""
        where, args = ("run_id = ? AND ", (run_id,)) if run_id is not None else ("", ())
        with self._lock:
            metrics = self._db.execute(
                f"SELECT run_id, key, COUNT(*) FROM metrics WHERE {where}NOT ({_GOOD_METRIC}) "
                f"GROUP BY run_id, key ORDER BY run_id, key", args).fetchall()
            files = self._db.execute(
                f"SELECT run_id, name FROM artifacts WHERE {where}NOT ({_GOOD_META}) ORDER BY run_id, name",
                args).fetchall()
        out: dict[str, list[str]] = {}
        for rid, key, n in metrics:
            out.setdefault(rid, []).append(Message("store.damaged_metric", run_id=str(rid), key=str(key), n=n))
        for rid, name in files:
            out.setdefault(rid, []).append(Message("store.damaged_file_meta", run_id=str(rid), name=str(name)))
        return out

    def update(self, run_id: str, **fields) -> None:
        if not fields:
            return
        for key in ("config", "summary"):
            if key in fields and not isinstance(fields[key], str):
                fields[key] = json.dumps(fields[key])
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id))

    def mark_running(self, run_id: str, device: str, pid: int | None = None) -> None:
        now = time.time()
        self.update(run_id, status="running", device=device, started=now, heartbeat=now, pid=pid or os.getpid())

    def finish(self, run_id: str, status: str, error: str | None = None, summary: dict | None = None) -> None:
        fields = {"status": status, "finished": time.time(), "error": error, "message": status}
        if summary is not None:
            fields["summary"] = summary
        if isinstance(error, Message):  # kept with its code, so a page can show it in its own language
            fields["summary"] = {**(summary if summary is not None else self.get_run(run_id).summary),
                                 "error_message": error.to_json()}
        if status == "finished":
            fields["progress"] = 1.0
        self.update(run_id, **fields)

    def add_warning(self, run_id: str, message: str) -> None:
        """Add a message the user should act on to a run; a message already there is not added twice."""
        if isinstance(message, Message):  # stored with its code and parameters: a page shows it in its language
            value, sql_value = json.dumps(message.to_json(), ensure_ascii=False), "json(?)"
        else:
            value, sql_value = message, "?"
        with self._lock:  # a damaged list (not a JSON array) is started again: its text could not be shown anyway
            self._db.execute(f"UPDATE runs SET warnings = json_insert(CASE WHEN json_valid(warnings) AND "
                             f"json_type(warnings) = 'array' THEN warnings ELSE '[]' END, '$[#]', {sql_value}) WHERE id = ? "
                             f"AND NOT (json_valid(warnings) AND EXISTS (SELECT 1 FROM json_each(runs.warnings) WHERE "
                             f"(CASE type WHEN 'object' THEN json_extract(value, '$.text') ELSE value END) = ?))", (value, run_id, str(message)))

    def heartbeat(self, run_id: str) -> None:
        self.update(run_id, heartbeat=time.time())

    def set_progress(self, run_id: str, fraction: float, message: str | None = None) -> None:
        self.update(run_id, progress=float(min(max(fraction, 0.0), 1.0)), message=message, heartbeat=time.time())

    def request_cancel(self, run_id: str) -> None:
        """Ask a run to stop. A queued run is cancelled at once; a running one stops at its next step."""
        self._refuse_reference(run_id, "cancelled")
        with self._lock:
            self._db.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?", (run_id,))
            self._db.execute("UPDATE runs SET status = 'cancelled', finished = ?, error = 'cancelled before start' "
                             "WHERE id = ? AND status = 'queued'", (time.time(), run_id))

    def cancel_requested(self, run_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT cancel_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def delete_run(self, run_id: str) -> None:
        """Delete a finished run with its metrics and files. Active runs must be cancelled first."""
        run = self._refuse_reference(run_id, "deleted")
        if run.active:
            raise ValueError(f"run {run_id} is {run.status}; cancel it before deleting it")
        with self._transaction():
            self._delete_rows(run_id)
        shutil.rmtree(self.root / "runs" / run_id, ignore_errors=True)

    def _refuse_reference(self, run_id: str, what: str) -> Run:
        run = self.get_run(run_id)
        if run.reference:
            raise ReferenceRunError(
                f"{run_id} is a reference run shipped with replearn (in {reference_folder(self, run_id)}); "
                f"it is read-only and cannot be {what}. To change it, replace its folder there.")
        return run

    # --- reference runs ---------------------------------------------------------------
    def reference_hashes(self) -> dict[str, str | None]:
        """{run id: asset content hash} of the registered reference runs."""
        with self._lock:
            rows = self._db.execute("SELECT id, asset_hash FROM runs WHERE reference = 1").fetchall()
        return {row["id"]: row["asset_hash"] for row in rows}

    def put_reference_run(self, run: dict, metrics: list[tuple[int, str, float | None]], artifacts: list[dict],
                          asset_hash: str) -> bool:
        """Register (or replace) a reference run with its metrics and artifacts, all at once.

        run: id, kind, name, config, device, created, started, finished, summary. artifacts: name, kind,
        path, step, meta. Returns False when a run with this id and ``asset_hash`` is already there
        (another process registered it first). A normal run with the same id is never replaced.
        """
        now = time.time()
        with self._transaction():
            row = self._db.execute("SELECT reference, asset_hash FROM runs WHERE id = ?", (run["id"],)).fetchone()
            if row is not None and not row["reference"]:
                raise ReferenceRunError(f"a run of this data folder already has the reference id {run['id']}")
            paths = {str(a["path"]) for a in artifacts}
            stored = {r[0] for r in self._db.execute("SELECT path FROM artifacts WHERE run_id = ?", (run["id"],))}
            if row is not None and row["asset_hash"] == asset_hash and stored == paths:
                return False
            self._delete_rows(run["id"])
            self._db.execute(
                "INSERT INTO runs (id, kind, name, config, status, device, created, started, finished, progress, "
                "message, summary, reference, asset_hash) VALUES (?, ?, ?, ?, 'finished', ?, ?, ?, ?, 1, "
                "'reference run', ?, 1, ?)",
                (run["id"], run["kind"], run["name"], json.dumps(run["config"]), run.get("device"),
                 run["created"], run.get("started"), run.get("finished"), json.dumps(run.get("summary") or {}),
                 asset_hash))
            self._db.executemany(
                "INSERT INTO metrics (run_id, step, key, value, time) VALUES (?, ?, ?, ?, ?)",
                [(run["id"], int(s), k, None if v is None else float(v), run.get("finished") or now)
                 for s, k, v in metrics])
            self._db.executemany(
                "INSERT INTO artifacts (run_id, name, kind, path, step, created, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run["id"], a["name"], a["kind"], str(a["path"]), a.get("step"), now, json.dumps(a.get("meta") or {}))
                 for a in artifacts])
            return True

    def remove_reference_run(self, run_id: str) -> None:
        """Forget a reference run (its assets are gone or broken). Its files in assets/ are never touched."""
        with self._transaction():
            if self._db.execute("SELECT 1 FROM runs WHERE id = ? AND reference = 1", (run_id,)).fetchone():
                self._delete_rows(run_id)

    def _delete_rows(self, run_id: str) -> None:
        """A run's metrics, artifacts and row; the caller holds the lock inside a transaction."""
        for table, column in (("metrics", "run_id"), ("artifacts", "run_id"), ("runs", "id")):
            self._db.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_id,))

    def queue_order(self) -> list[str]:
        """The queued runs in the order they will start: round-robin by owner, so that each owner's first queued
        run comes before anyone's second (a class of thirty waits in turns, not behind one student's five
        runs); within a turn, oldest first. With one owner (the local user) this is first come, first served."""
        with self._lock:
            return self._queue_order()

    def _queue_order(self) -> list[str]:
        queued = self._db.execute("SELECT id, owner, created FROM runs WHERE status = 'queued' "
                                  "ORDER BY created, id").fetchall()
        if not queued:
            return []
        # the turns an owner already had while someone waited: their runs started since the oldest queued run
        # was created (running or already ended)
        served = dict(self._db.execute("SELECT owner, COUNT(*) FROM runs WHERE status != 'queued' AND started >= ? "
                                       "GROUP BY owner", (queued[0]["created"],)).fetchall())
        return _round_robin(queued, served)

    def claim(self, run_id: str, device_key: str, concurrency: int | Callable[[int], int] = 1) -> bool:
        """Atomically start a queued run if it is first in line (:meth:`queue_order`) and a slot on its device
        is free. ``concurrency``: the device's slots, or a function of the runs on it now that gives them (a
        GPU's, from its free memory)."""
        with self._transaction():
            row = self._db.execute("SELECT status, created FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None or row["status"] != "queued":
                return False
            running = self._db.execute(
                "SELECT COUNT(*) FROM runs WHERE status = 'running' AND device LIKE ?",
                (device_key + "%",)).fetchone()[0]
            slots = concurrency(running) if callable(concurrency) else concurrency
            ok = running < slots and self._queue_order()[:1] == [run_id]
            if ok:
                now = time.time()
                self._db.execute("UPDATE runs SET status = 'running', started = ?, heartbeat = ?, device = ?, "
                                 "pid = ? WHERE id = ?", (now, now, device_key, os.getpid(), run_id))
            return ok

    def set_queued_pid(self, run_id: str, pid: int) -> None:
        """Record the process answerable for a queued run (its supervisor, or a command running it in the
        foreground), so that a queued run whose process died (it would block the queue forever) is reaped
        too. Never overwrites the pid of a started run."""
        with self._lock:
            self._db.execute("UPDATE runs SET pid = ? WHERE id = ? AND status = 'queued' AND pid IS NULL",
                             (pid, run_id))

    def queued_for(self, pid: int) -> list[str]:
        """The queued runs whose answerable process is ``pid`` (a warm worker's), oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM runs WHERE status = 'queued' AND pid = ? ORDER BY created",
                                    (pid,)).fetchall()
        return [row["id"] for row in rows]

    def reassign_queued(self, from_pid: int, to_pid: int) -> None:
        """Hand the queued runs of one process to another (a warm worker replaced by a newer one)."""
        with self._lock:
            self._db.execute("UPDATE runs SET pid = ? WHERE status = 'queued' AND pid = ?", (to_pid, from_pid))

    def reap_dead(self) -> list[str]:
        """Mark active runs whose process is gone (or silent for too long) as failed: a running run whose
        worker died, and a queued run whose supervisor died before the run's turn came."""
        with self._lock:
            rows = self._db.execute("SELECT id, status, pid, heartbeat FROM runs WHERE status = 'running' "
                                    "OR (status = 'queued' AND pid IS NOT NULL)").fetchall()
        dead = []
        for row in rows:
            if not isinstance(row["heartbeat"], (int, float, type(None))) or not isinstance(row["pid"], (int, type(None))):
                continue  # a damaged row (listed as damaged): no process can be told from it
            silent = row["status"] == "running" and row["heartbeat"] is not None \
                and time.time() - row["heartbeat"] > STALE_AFTER_S
            if _pid_alive(row["pid"]) and not silent:
                continue
            if silent:
                reason = f"worker process {row['pid']} has not reported for {STALE_AFTER_S:.0f} s"
            elif row["status"] == "queued":
                reason = (f"its worker process {row['pid']} stopped before the run could start (killed, or the "
                          f"machine restarted); start the run again")
            else:
                reason = (f"worker process {row['pid']} stopped without reporting (killed, out of memory, "
                          f"or the machine restarted)")
            with self._lock:  # only if it is still as read: a run that just ended keeps how it ended
                changed = self._db.execute(
                    "UPDATE runs SET status = 'failed', finished = ?, error = ?, message = 'failed' "
                    "WHERE id = ? AND status = ?", (time.time(), reason, row["id"], row["status"])).rowcount
            if changed:
                dead.append(row["id"])
        return dead

    # --- metrics ----------------------------------------------------------------------
    def log_metrics(self, run_id: str, rows: list[tuple[int, str, float]]) -> None:
        """Append (step, key, value) rows."""
        now = time.time()
        with self._lock:
            self._db.executemany("INSERT INTO metrics (run_id, step, key, value, time) VALUES (?, ?, ?, ?, ?)",
                                 [(run_id, int(s), k, None if v is None else float(v), now) for s, k, v in rows])

    def replace_metrics(self, run_id: str, step: int, values: dict[str, float | None]) -> None:
        """Replace the values of some metrics at one step (a refined estimate of a number shown earlier)."""
        now = time.time()
        with self._transaction():
            for key, value in values.items():
                self._db.execute("DELETE FROM metrics WHERE run_id = ? AND step = ? AND key = ?", (run_id, step, key))
                self._db.execute("INSERT INTO metrics (run_id, step, key, value, time) VALUES (?, ?, ?, ?, ?)",
                                 (run_id, int(step), key, None if value is None else float(value), now))

    def metrics(self, run_id: str, keys: list[str] | None = None) -> dict[str, tuple[list[int], list[float]]]:
        """{key: (steps, values)} for a run, in step order."""
        query, args = f"SELECT step, key, value FROM metrics WHERE run_id = ? AND {_GOOD_METRIC}", [run_id]
        if keys:
            query += f" AND key IN ({', '.join('?' * len(keys))})"
            args += list(keys)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY step, rowid", args).fetchall()
        out: dict[str, tuple[list[int], list[float]]] = {}
        for step, key, value in rows:
            steps, values = out.setdefault(key, ([], []))
            steps.append(step)
            values.append(float("nan") if value is None else value)
        return out

    def last_metric(self, run_id: str, key: str) -> float | None:
        with self._lock:
            row = self._db.execute(f"SELECT value FROM metrics WHERE run_id = ? AND key = ? AND {_GOOD_METRIC} "
                                   f"ORDER BY step DESC, rowid DESC LIMIT 1", (run_id, key)).fetchone()
        return None if row is None else row[0]

    def best_metric(self, run_id: str, key: str) -> float | None:
        with self._lock:
            row = self._db.execute(f"SELECT MAX(value) FROM metrics WHERE run_id = ? AND key = ? AND {_GOOD_METRIC}",
                                   (run_id, key)).fetchone()
        return None if row is None else row[0]

    # --- artifacts --------------------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        path = self.root / "runs" / run_id
        with explained_writes(self.root):
            path.mkdir(parents=True, exist_ok=True)
        return path

    def add_artifact(self, run_id: str, name: str, kind: str, path: Path, step: int | None = None,
                     meta: dict | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO artifacts (run_id, name, kind, path, step, created, meta) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (run_id, name, kind, str(path), step, time.time(), json.dumps(meta or {})))

    def artifacts(self, run_id: str, kind: str | None = None) -> list[Artifact]:
        query, args = "SELECT * FROM artifacts WHERE run_id = ?", [run_id]
        if kind:
            query += " AND kind = ?"
            args.append(kind)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY COALESCE(step, -1), created", args).fetchall()
        return [Artifact(r["run_id"], r["name"], r["kind"], Path(str(r["path"])),
                         r["step"] if isinstance(r["step"], int) else None, r["created"], _meta(r["meta"]))
                for r in rows]

    def artifact(self, run_id: str, name: str) -> Artifact | None:
        return next((a for a in self.artifacts(run_id) if a.name == name), None)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# a metric row as written: a whole step and a number (or NULL, a value that was not finite); an artifact's
# description as written: a JSON object. Anything else was damaged outside the lab and is left out where read.
_GOOD_METRIC = "typeof(step) = 'integer' AND typeof(value) IN ('real', 'integer', 'null')"
_GOOD_META = "meta IS NULL OR (json_valid(meta) AND json_type(meta) = 'object')"


def _meta(text) -> dict:
    try:
        value = json.loads(text or "{}")
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def _cannot_write(exc: BaseException, root: Path) -> bool:
    """Whether opening the store failed because its folder cannot be written (a read-only disk or folder)."""
    code = getattr(exc.args[0], "code", None) if exc.args else None
    if code == "store.read_only":
        return True
    return isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc) and not os.access(root, os.W_OK)


def _to_run(row: sqlite3.Row, damage=()) -> Run:
    """A run from its row. A field damaged outside the lab (JSON that does not parse or is not the kind of
    value it should be, a number that is not one) reads as its empty default and is named in ``damage``, so a
    page or the command line lists the run as damaged instead of failing on it."""
    found: list[str] = []
    run_id = str(row["id"])
    columns = row.keys()

    def column(name, default=None):
        return row[name] if name in columns else default

    def damaged(code: str, name: str, **params) -> None:
        found.append(Message(code, run_id=run_id, field=Message(f"store.field.{name}"), **params))

    def parsed(name: str, default, kind: type):
        text = column(name)
        if text is None:
            return default
        try:
            value = json.loads(text)
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            damaged("store.damaged_json", name, pos=getattr(exc, "pos", 0) or 0)
            return default
        except TypeError:  # a number where the JSON text belongs
            damaged("store.damaged_value", name)
            return default
        if not isinstance(value, kind):
            damaged("store.damaged_value", name)
            return default
        return value

    def number(name: str, default=None, whole: bool = False):
        value = column(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                or not math.isfinite(value):
            damaged("store.damaged_number", name)
            return default
        return value

    def text(name: str):
        value = column(name)
        return value if value is None or isinstance(value, str) else str(value)

    config = parsed("config", {}, dict)
    summary = parsed("summary", {}, dict)
    warnings = []
    for item in parsed("warnings", [], list):
        try:
            warning = Message.from_json(item)
        except Exception:  # noqa: BLE001 - a stored message of a shape no version wrote
            warning = None
        if not isinstance(warning, str):
            damaged("store.damaged_value", "warnings")
            warning = str(item.get("text", item)) if isinstance(item, dict) else str(item)
        warnings.append(warning)
    error = text("error")
    if "error_message" in summary:
        try:
            coded = Message.from_json(summary["error_message"])
        except Exception:  # noqa: BLE001
            coded = None
        if isinstance(coded, str):
            error = coded
        else:
            damaged("store.damaged_value", "summary")
    status = text("status")
    if status not in ACTIVE + DONE:
        damaged("store.damaged_value", "status")
        status = "failed"
    return Run(id=run_id, kind=text("kind") or "", name=text("name") or "", config=config,
               status=status, device=text("device"), created=number("created", 0.0), started=number("started"),
               finished=number("finished"), error=error, pid=number("pid", whole=True), heartbeat=number("heartbeat"),
               cancel_requested=bool(column("cancel_requested", 0)), progress=number("progress", 0.0) or 0.0,
               message=text("message"), summary=summary, reference=bool(column("reference", 0)),
               warnings=warnings, owner=text("owner"), shared=bool(column("shared", 0)),
               damage=tuple(found) + tuple(damage))


def _round_robin(rows, served: dict | None = None) -> list[str]:
    """Run ids of queued (id, owner, created) rows, oldest first, in owner turns: an owner's queued runs take
    turns ``served[owner]``, +1, +2, ... and every owner's turn k comes before anyone's turn k + 1."""
    turn: dict = dict(served or {})
    keyed = []
    for row in rows:
        k = turn.get(row["owner"], 0)
        turn[row["owner"]] = k + 1
        keyed.append((k, row["created"], row["id"]))
    return [run_id for _, _, run_id in sorted(keyed)]


def reference_folder(store: RunStore, run_id: str) -> str:
    """Where a reference run's files are (the folder of its first artifact), for messages."""
    artifacts = store.artifacts(run_id)
    return str(artifacts[0].path.parent) if artifacts else "assets/reference_runs"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
