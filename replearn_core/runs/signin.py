"""Who a visitor of a classroom is, and for how long: the school's identity provider, sign-in codes the teacher
hands out, the teacher's password; sessions kept on the server; guessing slowed down.

Three ways in, one :class:`~replearn_core.runs.access.User` out:

- **the school's identity provider** (OpenID Connect: Google Workspace, Microsoft Entra, Keycloak, …; the
  protocol is Streamlit's ``st.login``). The provider says who the visitor is, in the claims of its ID token, and
  :func:`user_from_claims` decides the role: the teacher when their verified e-mail is in
  ``REPLEARN_TEACHER_EMAILS`` or their groups claim (``REPLEARN_GROUPS_CLAIM``, default ``groups``) holds
  ``REPLEARN_TEACHER_GROUP``; anyone else is a student named by their account (``REPLEARN_NAME_CLAIM``, the
  e-mail by default). Nobody can type someone else's name.
- **sign-in codes**, without a provider: the teacher adds the class's names on the Teacher page and hands out
  the codes it prints, one unguessable code per name (:meth:`SignIns.add_students`). A code signs in its own
  name and no other; names are unique; the teacher revokes or reissues a code. Only a keyed hash of a code is
  kept, so the teacher sees a code once, when it is issued.
- **the teacher password** (``REPLEARN_TEACHER_PASSWORD_HASH``).

A code or password sign-in opens a session (:meth:`SignIns.open_session`): a random id that the browser keeps in
a cookie and the server keeps only as a hash, with an expiry (``REPLEARN_SESSION_HOURS``, default 8: one school
day). Every page run asks again who the id is (:meth:`SignIns.user_of`), so signing out in one tab
(:meth:`SignIns.end_session`) signs out every tab of that browser, and nothing in a URL names anyone. A provider
sign-in lives in Streamlit's signed cookie; :meth:`SignIns.provider_user` holds it to the same rules: it expires
``REPLEARN_SESSION_HOURS`` after the provider issued it, and signing out ends it on the server for every tab.

Wrong codes and passwords slow down (:meth:`SignIns.wait_s`), counted per client (its IP address) and per name:
a few tries are free, then each wait doubles, then the name or the client is locked out for 15 minutes. With
59-bit codes that is no way in.

Everything is in one SQLite file of the data folder, ``signin.sqlite``, so every server thread and process
agrees; the key of the codes' hashes is ``REPLEARN_SECRET`` or ``classroom.key`` there (:func:`classroom_secret`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import sqlite3
import tempfile
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from replearn_core.i18n import Message
from replearn_core.runs.access import AccessDenied, ClassroomSettings, User, check_password, valid_name
from replearn_core.storage_errors import explained_writes

DB_FILE = "signin.sqlite"  # in the data folder
KEY_FILE = "classroom.key"  # in the data folder, unless REPLEARN_SECRET is set
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols, none that read alike (0/O, 1/I/L)
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4  # XXXX-XXXX-XXXX: 12 symbols, 59 bits
TEACHER_KEY = "(teacher)"  # the name that wrong teacher passwords count against, whatever name was typed


# --- settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignInSettings:
    session_hours: float = 8.0  # how long a sign-in lasts: one school day
    teacher_emails: frozenset[str] = frozenset()  # provider accounts that are the teacher (lower case)
    teacher_group: str | None = None  # a provider group whose members are the teacher
    groups_claim: str = "groups"  # the ID token claim that lists a user's groups
    name_claim: str = "email"  # the ID token claim that names a student
    trust_proxy: bool = False  # behind a reverse proxy: the client is X-Forwarded-For's last address

    @property
    def session_s(self) -> float:
        return self.session_hours * 3600

    @classmethod
    def from_env(cls, env: dict | None = None) -> "SignInSettings":
        env = os.environ if env is None else env
        text = env.get("REPLEARN_SESSION_HOURS", "").strip()
        hours = 8.0
        if text:
            try:
                hours = float(text)
            except ValueError:
                hours = math.nan
            if not (math.isfinite(hours) and 0 < hours <= 24 * 365):
                raise ValueError(Message("signin.bad_hours", value=text))
        emails = frozenset(e.strip().lower() for e in env.get("REPLEARN_TEACHER_EMAILS", "").replace(";", ",")
                           .replace(" ", ",").split(",") if e.strip())
        return cls(hours, emails, env.get("REPLEARN_TEACHER_GROUP", "").strip() or None,
                   env.get("REPLEARN_GROUPS_CLAIM", "").strip() or "groups",
                   env.get("REPLEARN_NAME_CLAIM", "").strip() or "email",
                   env.get("REPLEARN_TRUST_PROXY", "").strip().lower() in ("1", "true", "yes", "on"))


# --- the identity provider's account --------------------------------------------------------
def user_from_claims(claims: dict, settings: SignInSettings | None = None) -> User:
    """The user an identity provider's claims (an ID token's: ``email``, ``email_verified``, ``groups``, …) make:
    the teacher when the verified e-mail is one of the teacher's or the groups claim holds the teacher group,
    else a student named by the name claim (an e-mail in lower case). ValueError (a Message) when the claims name
    nobody usable: no name claim, an e-mail the provider has not verified, a name the lab cannot store."""
    settings = settings or SignInSettings.from_env()
    if not isinstance(claims, dict):
        raise ValueError(Message("signin.no_claim", claim=settings.name_claim))
    verified = claims.get("email_verified") is not False  # providers that do not say vouch for their e-mails
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and verified else None
    name = claims.get(settings.name_claim)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(Message("signin.no_claim", claim=settings.name_claim))
    name = name.strip()
    if settings.name_claim == "email":
        if not verified:
            raise ValueError(Message("signin.unverified_email", email=name[:80]))
        name = name.lower()
    groups = claims.get(settings.groups_claim)
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    teacher = (email is not None and email in settings.teacher_emails) or (
        settings.teacher_group is not None and settings.teacher_group in [g for g in groups if isinstance(g, str)])
    if not valid_name(name):
        raise ValueError(Message("signin.bad_account_name", claim=settings.name_claim, name=name[:80]))
    return User(name, "teacher" if teacher else "student")


def client_of(ip_address: str | None, forwarded_for: str | None = None, trust_proxy: bool = False) -> str:
    """Who is asking, for the throttle: the connection's address, or behind a trusted reverse proxy the last
    address of its X-Forwarded-For (the one the proxy added; the ones before it the client may have made up)."""
    if trust_proxy and isinstance(forwarded_for, str) and forwarded_for.strip():
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last[:64]
    return ip_address[:64] if isinstance(ip_address, str) and ip_address else "local"


# --- the key: made once, by exactly one of many first visits --------------------------------
def classroom_secret(root: Path | str) -> bytes:
    """The key of the codes' hashes: ``REPLEARN_SECRET``, else a random key made once in the data folder
    (``classroom.key``, readable by its owner only).

    Many first visits may ask at once: the key is written whole to a file of its own and then linked into place,
    which fails for all but one of them (those read the winner's key), so no visit sees half a key or a key that
    another later replaces."""
    if os.environ.get("REPLEARN_SECRET"):
        return os.environ["REPLEARN_SECRET"].encode()
    path = Path(root) / KEY_FILE
    for _ in range(200):
        key = _read_key(path)
        if key is not None:
            return key
        _make_key(path)
    raise OSError(f"cannot read the key in {path}")


def _read_key(path: Path) -> bytes | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    if len(text) < 32:  # an older server's key being written without the link below: read again shortly
        time.sleep(0.01)
        return None
    return text.encode()


def _make_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".classroom.key.", dir=path.parent)  # 0600 from the start
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(partial, path)  # atomic and exclusive: the first visit's key wins, whole
        except FileExistsError:
            pass  # another visit made it first: read theirs
        except OSError:  # a file system without hard links: exclusive create, readers wait for the whole key
            try:
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(out, "w") as f:
                f.write(Path(partial).read_text())
    finally:
        os.unlink(partial)


# --- guessing, slowed down ------------------------------------------------------------------
@dataclass(frozen=True)
class ThrottlePolicy:
    """How long to wait after ``n`` wrong tries within ``window_s``: ``free`` tries cost nothing, then each wait
    doubles from 2 s (to at most ``max_delay_s``), and from ``lock_after`` tries on it is a lockout of
    ``lock_s`` after each. The window is longer than waiting out every delay takes, so patience does not
    avoid the lockout."""

    free: int
    lock_after: int
    window_s: float = 60 * 60
    lock_s: float = 15 * 60
    max_delay_s: float = 120

    def wait_after(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        if failures >= self.lock_after:
            return self.lock_s
        return min(2.0 ** (failures - self.free + 1), self.max_delay_s)


PER_NAME = ThrottlePolicy(free=3, lock_after=10)  # guessing one student's code
PER_CLIENT = ThrottlePolicy(free=10, lock_after=30)  # one computer guessing many names (a class shares a few typos)


class TooManyTries(ValueError):
    """A sign-in refused before its code or password was even checked: wait ``wait_s`` seconds."""

    def __init__(self, wait_s: float):
        self.wait_s = wait_s
        if wait_s >= 60:
            super().__init__(Message("signin.locked", minutes=math.ceil(wait_s / 60)))
        else:
            super().__init__(Message("signin.wait", seconds=math.ceil(wait_s)))


# --- the sign-in database ---------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, name TEXT, name_key TEXT, role TEXT NOT NULL,
                                     via TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS roster (name_key TEXT PRIMARY KEY, name TEXT NOT NULL, code_hash TEXT NOT NULL,
                                   issued REAL NOT NULL, revoked REAL);
CREATE TABLE IF NOT EXISTS failures (at REAL NOT NULL, client TEXT NOT NULL, name_key TEXT NOT NULL,
                                     name TEXT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS failures_at ON failures (at);
CREATE TABLE IF NOT EXISTS signed_out (name_key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fresh_start (name_key TEXT PRIMARY KEY, at REAL NOT NULL);
"""


_READY: set[str] = set()  # the databases whose tables this process has made sure of


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A code as typed (lower case, spaces, dashes) in its one form: ``ab12 cd34-ef56`` → ``AB12CD34EF56``."""
    return "".join(c for c in str(code).upper() if c.isalnum())


def new_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH))
    return "-".join(symbols[i:i + CODE_GROUP_LENGTH] for i in range(0, len(symbols), CODE_GROUP_LENGTH))


class SignIns:
    """The classroom's sign-ins in the data folder ``root``: the roster of codes, the sessions, the wrong tries.
    ``clock`` (seconds, like :func:`time.time`) lets a test move time on."""

    def __init__(self, root: Path | str, settings: SignInSettings | None = None, clock=time.time):
        self.root = Path(root)
        self.settings = settings or SignInSettings.from_env()
        self.clock = clock

    @contextmanager
    def _db(self):
        """A connection to the sign-in database (made on first use); a full or read-only data folder raises the
        StoreUnavailable that says so."""
        with explained_writes(self.root), closing(self._connect()) as db:
            yield db

    def _connect(self) -> sqlite3.Connection:
        path = self.root / DB_FILE
        fresh = str(path) not in _READY or not path.exists()
        if fresh:
            self.root.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        if fresh:
            db.executescript(_SCHEMA)
            _READY.add(str(path))
        return db

    def _code_hash(self, name_key: str, code: str) -> str:
        with explained_writes(self.root):
            key = classroom_secret(self.root)
        return hmac.new(key, f"{name_key}\n{normalise_code(code)}".encode(), hashlib.sha256).hexdigest()

    # --- sessions ---------------------------------------------------------------------------
    def open_session(self, user: User, via: str = "code") -> str:
        """A new session for the user: its id, for the browser's cookie (the server keeps only its hash)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (_session_hash(session_id), user.name, _name_key(user.name or ""), user.role, via, now,
                        now + self.settings.session_s))
        return session_id

    def user_of(self, session_id: str | None) -> User | None:
        """The user of a live session; None for no id, a made-up or ended one, or one past its expiry."""
        if not isinstance(session_id, str) or not 16 <= len(session_id) <= 128:
            return None
        with self._db() as db:
            row = db.execute("SELECT name, role, expires FROM sessions WHERE id_hash = ?",
                             (_session_hash(session_id),)).fetchone()
        if row is None or row[2] <= self.clock():
            return None
        try:
            return User(row[0], row[1])
        except ValueError:
            return None

    def end_session(self, session_id: str | None) -> None:
        """Sign out: the session is gone on the server, for every tab that holds its id."""
        if isinstance(session_id, str):
            with self._db() as db:
                db.execute("DELETE FROM sessions WHERE id_hash = ?", (_session_hash(session_id),))

    def _end_sessions_of(self, db: sqlite3.Connection, name_key: str) -> None:
        db.execute("DELETE FROM sessions WHERE name_key = ? AND role = 'student'", (name_key,))

    # --- the identity provider's sign-in -------------------------------------------------------
    def provider_user(self, claims: dict) -> User:
        """The user of a provider sign-in (Streamlit's ``st.user``), held to this server's rules: it must have been
        issued (its ``iat``) within ``session_hours`` and after the account last signed out here. ValueError (a
        Message) otherwise, or when :func:`user_from_claims` refuses the claims."""
        user = user_from_claims(claims, self.settings)
        issued = claims.get("iat")
        if isinstance(issued, bool) or not isinstance(issued, (int, float)) or not math.isfinite(issued):
            raise ValueError(Message("signin.expired"))
        if self.clock() - issued >= self.settings.session_s:
            raise ValueError(Message("signin.expired"))
        with self._db() as db:
            row = db.execute("SELECT at FROM signed_out WHERE name_key = ?", (_name_key(user.name),)).fetchone()
        if row is not None and issued < row[0]:
            raise ValueError(Message("signin.expired"))
        return user

    def provider_signed_out(self, name: str) -> None:
        """The account signed out: every provider sign-in of it issued until now is over, in every tab."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO signed_out VALUES (?, ?)", (_name_key(name), self.clock()))

    # --- codes and the password -------------------------------------------------------------
    def wait_s(self, client: str, name: str) -> float:
        """Seconds before this client may try this name again (0: now)."""
        now, waits, key = self.clock(), [0.0], _name_key(name)
        with self._db() as db:
            fresh = db.execute("SELECT at FROM fresh_start WHERE name_key = ?", (key,)).fetchone()
            for column, value, policy, since in (("client", client, PER_CLIENT, now - PER_CLIENT.window_s),
                                                 ("name_key", key, PER_NAME, max(now - PER_NAME.window_s,
                                                                                 fresh[0] if fresh else 0))):
                count, last = db.execute(f"SELECT COUNT(*), MAX(at) FROM failures WHERE {column} = ? AND at > ?",
                                         (value, since)).fetchone()
                if count:
                    waits.append(last + policy.wait_after(count) - now)
        return max(waits)

    def _fresh_start(self, db: sqlite3.Connection, name_key: str) -> None:
        """The name's wrong tries so far count no more (its right code, or a new one); they stay listed."""
        db.execute("INSERT OR REPLACE INTO fresh_start VALUES (?, ?)", (name_key, self.clock()))

    def _failed(self, client: str, name: str, kind: str, typed: str | None = None) -> None:
        """A wrong try, counted against ``name`` and shown with the name as ``typed``."""
        now = self.clock()
        with self._db() as db:
            db.execute("INSERT INTO failures VALUES (?, ?, ?, ?, ?)",
                       (now, client, _name_key(name), (typed or name)[:80], kind))
            db.execute("DELETE FROM failures WHERE at < ?", (now - 7 * 24 * 3600,))

    def _check_throttle(self, client: str, name: str) -> None:
        wait = self.wait_s(client, name)
        if wait > 0:
            raise TooManyTries(wait)

    def sign_in_with_code(self, name: str, code: str, client: str = "local") -> tuple[User, str]:
        """A student signs in with their name and the code the teacher gave them: (the student, a session id).
        ValueError (a Message) for a wrong pair, the same whether the name is on the roster or not;
        :class:`TooManyTries` after too many wrong ones."""
        name = " ".join(str(name or "").split())
        if not valid_name(name):
            raise ValueError(Message("access.give_name"))
        self._check_throttle(client, name)
        key = _name_key(name)
        given = self._code_hash(key, code or "")
        with self._db() as db:
            row = db.execute("SELECT name, code_hash FROM roster WHERE name_key = ? AND revoked IS NULL",
                             (key,)).fetchone()
        if row is None or not hmac.compare_digest(given, row[1]):
            self._failed(client, name, "code")
            raise ValueError(Message("signin.wrong_code"))
        with self._db() as db:
            self._fresh_start(db, key)
        user = User(row[0], "student")
        return user, self.open_session(user, "code")

    def sign_in_as_teacher(self, name: str, password: str, client: str = "local",
                           classroom: ClassroomSettings | None = None) -> tuple[User, str]:
        """The teacher signs in with the password (``REPLEARN_TEACHER_PASSWORD_HASH``): (the teacher, a session
        id). Wrong passwords count against every teacher name alike."""
        classroom = classroom or ClassroomSettings.from_env()
        if not classroom.teacher_password_hash:
            raise ValueError(Message("access.no_password"))
        name = " ".join(str(name or "").split())
        if name and not valid_name(name):
            raise ValueError(Message("access.give_name"))
        self._check_throttle(client, TEACHER_KEY)
        if not check_password(password or "", classroom.teacher_password_hash):
            self._failed(client, TEACHER_KEY, "password", typed=name or "teacher")
            raise ValueError(Message("access.wrong_password"))
        user = User(name or "teacher", "teacher")
        return user, self.open_session(user, "password")

    # --- the roster: the teacher's codes -----------------------------------------------------
    @staticmethod
    def _require_teacher(user: User) -> None:
        if user.role != "teacher":
            raise AccessDenied(Message("signin.teacher_roster"))

    def add_students(self, teacher: User, names) -> dict[str, str]:
        """Put names on the roster, each with a new code: {name: code}, the only time a code is shown. All of
        them or none: a name that is not valid, holds '@' (provider accounts' names) or is already on the roster
        (in any case or spacing) is refused, saying which."""
        self._require_teacher(teacher)
        wanted = [" ".join(str(n).split()) for n in names if str(n).strip()]
        bad = [n for n in wanted if not valid_name(n) or "@" in n]
        if bad:
            raise ValueError(Message("signin.roster_bad_names", names=", ".join(n[:40] for n in bad)))
        seen, repeated = set(), []
        for n in wanted:
            if _name_key(n) in seen:
                repeated.append(n)
            seen.add(_name_key(n))
        now, codes = self.clock(), {}
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                taken = [n for n in wanted if db.execute("SELECT 1 FROM roster WHERE name_key = ?",
                                                         (_name_key(n),)).fetchone()]
                if repeated or taken:
                    raise ValueError(Message("signin.roster_taken", names=", ".join(dict.fromkeys(repeated + taken))))
                for n in wanted:
                    codes[n] = new_code()
                    db.execute("INSERT INTO roster VALUES (?, ?, ?, ?, NULL)",
                               (_name_key(n), n, self._code_hash(_name_key(n), codes[n]), now))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return codes

    def reissue(self, teacher: User, name: str) -> str:
        """A new code for a name on the roster (the old one and its sessions end): the new code, shown once."""
        self._require_teacher(teacher)
        key, code = _name_key(name), new_code()
        with self._db() as db:
            changed = db.execute("UPDATE roster SET code_hash = ?, issued = ?, revoked = NULL WHERE name_key = ?",
                                 (self._code_hash(key, code), self.clock(), key)).rowcount
            if not changed:
                raise ValueError(Message("signin.not_on_roster", name=name[:40]))
            self._end_sessions_of(db, key)
            self._fresh_start(db, key)
        return code

    def revoke(self, teacher: User, name: str) -> None:
        """The name's code no longer signs in, and its sessions end now."""
        self._require_teacher(teacher)
        key = _name_key(name)
        with self._db() as db:
            if not db.execute("UPDATE roster SET revoked = ? WHERE name_key = ?", (self.clock(), key)).rowcount:
                raise ValueError(Message("signin.not_on_roster", name=name[:40]))
            self._end_sessions_of(db, key)

    def roster(self, teacher: User) -> list[dict]:
        """The roster for the teacher: name, issued (epoch s), revoked (epoch s or None), signed_in (live
        sessions), by name. Codes are not kept, so not shown."""
        self._require_teacher(teacher)
        now = self.clock()
        with self._db() as db:
            rows = db.execute("SELECT r.name, r.issued, r.revoked, (SELECT COUNT(*) FROM sessions s WHERE "
                              "s.name_key = r.name_key AND s.role = 'student' AND s.expires > ?) FROM roster r "
                              "ORDER BY r.name_key", (now,)).fetchall()
        return [{"name": n, "issued": issued, "revoked": revoked, "signed_in": live} for n, issued, revoked, live
                in rows]

    def has_roster(self) -> bool:
        """Whether any name has a code that signs in (the sign-in page offers the code form then)."""
        with self._db() as db:
            return db.execute("SELECT 1 FROM roster WHERE revoked IS NULL LIMIT 1").fetchone() is not None

    def recent_failures(self, teacher: User, limit: int = 100) -> list[dict]:
        """Wrong codes and passwords, newest first: at (epoch s), client, name (as typed), kind (code, password)."""
        self._require_teacher(teacher)
        with self._db() as db:
            rows = db.execute("SELECT at, client, name, kind FROM failures ORDER BY at DESC LIMIT ?",
                              (int(limit),)).fetchall()
        return [{"at": at, "client": client, "name": name, "kind": kind} for at, client, name, kind in rows]


def codes_csv(codes: dict[str, str]) -> bytes:
    """New codes as CSV for the teacher to print or mail-merge: ``name,code`` lines (UTF-8 with a byte order mark,
    so spreadsheet programs read names in any script). A cell that a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@`` first) is quoted with a leading ``'``."""
    import csv
    import io

    def cell(text: str) -> str:
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "code"])
    for name, code in codes.items():
        writer.writerow([cell(name), code])
    return out.getvalue().encode("utf-8-sig")
