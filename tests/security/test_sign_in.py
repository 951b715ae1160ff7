"""Attacks on the classroom's sign-in, as a student would make them (issue 29, attacks 1, 2, 7 and 13).

1. The teacher signs in and shares a link from the address bar: the link must sign nobody in (no identity,
   token or secret in a URL), a session must die when its owner signs out (in every tab) and when it expires.
2. A student signs in with the class code, or their own sign-in code, and a classmate's name: they must not
   become the classmate. A revoked or replaced code signs in nobody.
7. Twenty wrong codes, then the right one: the tries slow down, then lock out, also for the right code.
13. Five first visits at once on a fresh data folder all make or read the same signing key, without an error.

Pages are driven through AppTest; time is moved on through the engine's clock, never waited for.
"""

import multiprocessing
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replearn_core.runs import signin
from replearn_core.runs.access import User, hash_password
from replearn_core.runs.signin import SignIns, SignInSettings, TooManyTries
from ui.classroom import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
TEACHER = User("Ms Li", "teacher")


def page():
    import streamlit as st

    from ui.classroom import current_user

    user = current_user()
    st.write(f"hello {user.name} as {user.role}")


@pytest.fixture
def classroom(monkeypatch, data_dir):
    """Classroom mode with a teacher password, a leftover class code and a roster of alice and bob."""
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.setenv("REPLEARN_CLASS_CODE", "owl-42")  # an old setting: it must make nobody a student
    monkeypatch.setenv("REPLEARN_TEACHER_PASSWORD_HASH", hash_password("s3cret-pw"))
    monkeypatch.delenv("REPLEARN_SESSION_HOURS", raising=False)
    signins = SignIns(data_dir)
    return signins, signins.add_students(TEACHER, ["alice", "bob"])


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def open_app(session_id=None, query=None) -> AppTest:
    at = AppTest.from_function(page, default_timeout=30)
    if session_id is not None:
        at.session_state[SESSION_KEY] = session_id
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def greeting(at: AppTest) -> str | None:
    found = [m.value for m in at.markdown if m.value.startswith("hello ")]
    return found[0] if found else None


def sign_in_with_code(at: AppTest, name: str, code: str) -> AppTest:
    form = [i for i in at.text_input if i.form_id == "sign_in"]
    form[0].input(name)
    form[1].input(code)
    [b for b in at.button if b.form_id == "sign_in"][0].click()
    return at.run()


def sign_in_as_teacher(at: AppTest, password: str) -> AppTest:
    form = [i for i in at.text_input if i.form_id == "teacher_sign_in"]
    form[0].input("Ms Li")
    form[1].input(password)
    [b for b in at.button if b.form_id == "teacher_sign_in"][0].click()
    return at.run()


def query_values(at: AppTest) -> list[str]:
    values = []
    for key in at.query_params:
        value = at.query_params[key]
        values += [key] + (list(value) if isinstance(value, list) else [value])
    return values


# --- attack 1: a shared link, a signed-out session, an old session --------------------------
def test_a_link_copied_from_the_teachers_address_bar_signs_nobody_in(classroom):
    at = sign_in_as_teacher(open_app(), "s3cret-pw")
    assert greeting(at) == "hello Ms Li as teacher"
    session_id = at.session_state[SESSION_KEY]
    shared = query_values(at)
    assert "me" not in shared and not any(session_id in v for v in shared)  # nothing of who she is in the URL
    # a student opens the link the teacher shared (the same query parameters, a session of their own)
    student = open_app(query={k: at.query_params[k] for k in at.query_params})
    assert greeting(student) is None and student.button  # the sign-in page, not the teacher
    # a token of the old kind in ?me= is nobody either
    assert greeting(open_app(query={"me": "WyJNcyBMaSIsICJ0ZWFjaGVyIl0.0123456789abcdef0123456789abcdef"})) is None
    # nor the session's own id put into a URL by hand
    assert greeting(open_app(query={"me": session_id, SESSION_KEY: session_id})) is None


def test_sign_out_ends_the_session_on_the_server_for_every_tab(classroom):
    signins, codes = classroom
    tab = sign_in_with_code(open_app(), "alice", codes["alice"])
    assert greeting(tab) == "hello alice as student"
    session_id = tab.session_state[SESSION_KEY]
    other_tab = open_app(session_id)  # the same browser: the cookie gave another tab the same session
    assert greeting(other_tab) == "hello alice as student"
    [b for b in tab.sidebar.button if b.key == "sign_out"][0].click()
    tab.run()
    assert greeting(tab) is None
    assert greeting(other_tab.run()) is None  # its next run asks the server, which no longer knows the id
    assert signins.user_of(session_id) is None
    assert greeting(open_app(session_id)) is None  # a copy of the id (a stolen cookie) is dead too


def test_a_session_expires_after_a_school_day(data_dir):
    clock = Clock()
    signins = SignIns(data_dir, SignInSettings(), clock=clock)
    session_id = signins.open_session(User("alice"))
    clock.now += 7.9 * 3600
    assert signins.user_of(session_id) == User("alice")
    clock.now += 0.2 * 3600
    assert signins.user_of(session_id) is None
    short = SignIns(data_dir, SignInSettings.from_env({"REPLEARN_SESSION_HOURS": "0.5"}), clock=clock)
    session_id = short.open_session(User("alice"))
    clock.now += 1801
    assert short.user_of(session_id) is None


def test_a_provider_sign_in_expires_and_ends_at_sign_out(data_dir):
    """Streamlit's own cookie lives 30 days; the lab holds it to the session's lifetime and to sign-out."""
    clock = Clock()
    signins = SignIns(data_dir, SignInSettings(), clock=clock)
    claims = {"sub": "1", "email": "alice@school.example", "email_verified": True, "iat": int(clock.now) - 60}
    assert signins.provider_user(claims) == User("alice@school.example")
    with pytest.raises(ValueError, match="sign in again"):
        signins.provider_user(dict(claims, iat=int(clock.now) - 9 * 3600))
    with pytest.raises(ValueError, match="sign in again"):
        signins.provider_user({k: v for k, v in claims.items() if k != "iat"})
    signins.provider_signed_out("alice@school.example")  # in one tab; the others hold the same claims
    with pytest.raises(ValueError, match="sign in again"):
        signins.provider_user(claims)
    clock.now += 5
    assert signins.provider_user(dict(claims, iat=int(clock.now))) == User("alice@school.example")  # signed in anew


# --- attack 2: someone else's name ------------------------------------------------------------
def test_the_class_code_and_a_classmates_name_are_not_the_classmate(classroom):
    at = sign_in_with_code(open_app(), "alice", "owl-42")
    assert greeting(at) is None and "do not match" in at.error[0].value


def test_my_own_code_with_a_classmates_name_is_not_the_classmate(classroom):
    signins, codes = classroom
    at = sign_in_with_code(open_app(), "alice", codes["bob"])
    assert greeting(at) is None and "do not match" in at.error[0].value
    at = sign_in_with_code(at, "bob", codes["bob"])
    assert greeting(at) == "hello bob as student"
    with pytest.raises(ValueError, match="do not match"):
        signins.sign_in_with_code("nobody", codes["bob"])  # a name not on the roster: the same answer


def test_a_revoked_or_replaced_code_signs_in_nobody(classroom):
    signins, codes = classroom
    _, session_id = signins.sign_in_with_code("alice", codes["alice"])
    signins.revoke(TEACHER, "alice")
    assert signins.user_of(session_id) is None  # revoking ends the sessions it opened
    with pytest.raises(ValueError, match="do not match"):
        signins.sign_in_with_code("alice", codes["alice"])
    new = signins.reissue(TEACHER, "ALICE")
    with pytest.raises(ValueError, match="do not match"):
        signins.sign_in_with_code("alice", codes["alice"])
    assert signins.sign_in_with_code("Alice", new)[0] == User("alice")


def test_names_are_unique_and_only_the_teacher_keeps_the_roster(classroom):
    signins, _ = classroom
    with pytest.raises(ValueError, match="already on the roster"):
        signins.add_students(TEACHER, ["carol", " Alice "])
    with pytest.raises(ValueError, match="already on the roster"):
        signins.add_students(TEACHER, ["dan", "DAN"])
    with pytest.raises(ValueError, match="not a name"):
        signins.add_students(TEACHER, ["alice@school.example"])  # a provider account's name is the provider's
    assert [r["name"] for r in signins.roster(TEACHER)] == ["alice", "bob"]  # all or nothing
    with pytest.raises(PermissionError):
        signins.add_students(User("bob"), ["mallory"])
    with pytest.raises(PermissionError):
        signins.reissue(User("bob"), "alice")


def test_the_roster_keeps_no_code_in_plain_text(classroom, data_dir):
    _, codes = classroom
    stored = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    for code in codes.values():
        assert code.encode() not in stored and signin.normalise_code(code).encode() not in stored


# --- attack 7: guessing codes ---------------------------------------------------------------
def test_twenty_wrong_codes_slow_down_then_lock_out_even_the_right_one(data_dir):
    clock = Clock()
    signins = SignIns(data_dir, SignInSettings(), clock=clock)
    right = signins.add_students(TEACHER, ["alice"])["alice"]
    waits, refused_unchecked = [], 0
    for guess in range(20):
        try:
            signins.sign_in_with_code("alice", f"AAAA-AAAA-{guess:04d}", client="10.0.0.66")
        except TooManyTries as exc:
            refused_unchecked += 1
            waits.append(exc.wait_s)
            clock.now += exc.wait_s if exc.wait_s < 5 * 60 else 0  # a patient attacker waits each delay out
        except ValueError:
            pass
    assert refused_unchecked > 0 and waits == sorted(waits) and waits[0] < waits[-1]  # growing delays
    assert waits[-1] >= 5 * 60  # then a lockout of minutes
    with pytest.raises(TooManyTries, match="locked"):
        signins.sign_in_with_code("alice", right, client="10.0.0.66")
    with pytest.raises(TooManyTries):  # from another computer too: the name itself is locked
        signins.sign_in_with_code("alice", right, client="10.0.0.7")
    clock.now += 16 * 60
    assert signins.sign_in_with_code("alice", right, client="10.0.0.7")[0] == User("alice")
    assert len(signins.recent_failures(TEACHER)) >= 10


def test_one_computer_guessing_many_names_is_locked_out(data_dir):
    clock = Clock()
    signins = SignIns(data_dir, SignInSettings(), clock=clock)
    codes = signins.add_students(TEACHER, [f"student {i}" for i in range(40)])
    locked = False
    for i in range(100):
        try:
            signins.sign_in_with_code(f"student {i % 40}", "2222-3333-4444", client="10.0.0.66")
        except TooManyTries as exc:
            locked = exc.wait_s >= 5 * 60
            if locked:
                break
            clock.now += exc.wait_s  # a patient attacker waits each delay out
        except ValueError:
            pass
    assert locked
    with pytest.raises(TooManyTries):
        signins.sign_in_with_code("student 39", codes["student 39"], client="10.0.0.66")
    assert signins.sign_in_with_code("student 39", codes["student 39"], client="10.0.0.8")[0].name == "student 39"


def test_wrong_teacher_passwords_are_throttled_whatever_name_is_typed(classroom, data_dir):
    clock = Clock()
    signins = SignIns(data_dir, SignInSettings(), clock=clock)
    for i in range(12):
        try:
            signins.sign_in_as_teacher(f"T{i}", "guess", client=f"10.0.1.{i}")
        except TooManyTries:
            break
        except ValueError:
            pass
    with pytest.raises(TooManyTries):
        signins.sign_in_as_teacher("Ms Li", "s3cret-pw", client="10.0.2.1")


def test_the_sign_in_page_refuses_the_right_code_after_twenty_wrong_ones(classroom):
    _, codes = classroom
    at = open_app()
    for guess in range(20):
        at = sign_in_with_code(at, "alice", f"AAAA-BBBB-{guess:04d}")
    at = sign_in_with_code(at, "alice", codes["alice"])
    assert greeting(at) is None and "too many wrong tries" in at.error[0].value


# --- attack 13: first visits at once ----------------------------------------------------------
def _first_visit(folder: str, barrier, results) -> None:
    barrier.wait()
    try:
        results.put(signin.classroom_secret(Path(folder)).decode())
    except Exception as exc:  # noqa: BLE001 - what the visit would have shown
        results.put(f"error: {type(exc).__name__}: {exc}")


def test_five_first_visits_at_once_make_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("REPLEARN_SECRET", raising=False)
    context = multiprocessing.get_context("fork")
    for trial in range(8):
        folder = tmp_path / f"fresh{trial}"
        barrier, results = context.Barrier(5), context.Queue()
        visits = [context.Process(target=_first_visit, args=(str(folder), barrier, results)) for _ in range(5)]
        for visit in visits:
            visit.start()
        keys = [results.get(timeout=60) for _ in visits]
        for visit in visits:
            visit.join(timeout=60)
        assert not [k for k in keys if k.startswith("error")], keys
        assert len(set(keys)) == 1 and len(keys[0]) == 64
        assert (folder / signin.KEY_FILE).read_text().strip() == keys[0]
        assert oct((folder / signin.KEY_FILE).stat().st_mode & 0o777) == "0o600"
        assert [p.name for p in folder.iterdir()] == [signin.KEY_FILE]  # no partial file left behind
