"""The sign-in of classroom mode, through AppTest: nothing of the page shows before it; a wrong code says so; the
session is kept in the Streamlit session and the browser's cookie, never in the URL; the teacher's page hands out
codes (shown once, as a table and a CSV), revokes and reissues them and lists wrong tries; out of the box there
is no sign-in."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replearn_core.runs import access
from replearn_core.runs.signin import SignIns
from replearn_core.runs.store import RunStore
from ui.classroom import COOKIE, SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
TEACHER = access.User("Ms Li", "teacher")


def page():
    import streamlit as st

    from ui.classroom import current_user

    user = current_user()
    st.write(f"hello {user.name} as {user.role}")


def run_page(session_id=None):
    at = AppTest.from_function(page, default_timeout=30)
    if session_id:
        at.session_state[SESSION_KEY] = session_id
    return at.run()


def greeting(at):
    return next((m.value for m in at.markdown if m.value.startswith("hello ")), None)


@pytest.fixture
def classroom(monkeypatch, data_dir):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.setenv("REPLEARN_TEACHER_PASSWORD_HASH", access.hash_password("s3cret-pw"))
    return SignIns(data_dir)


def test_out_of_the_box_there_is_no_sign_in(monkeypatch):
    monkeypatch.delenv("REPLEARN_CLASSROOM", raising=False)
    at = run_page()
    assert not at.exception and greeting(at) == "hello None as local"


def test_classroom_mode_asks_first_then_keeps_the_user_in_the_session_not_the_url(classroom):
    code = classroom.add_students(TEACHER, ["alice"])["alice"]
    at = run_page()
    assert not at.exception and greeting(at) is None  # the page stops at the form
    name, typed = [i for i in at.text_input if i.form_id == "sign_in"]
    name.input("alice")
    typed.input("WRONG-CODE-0000")
    at.button[0].click().run()
    assert "do not match" in at.error[0].value and greeting(at) is None
    name, typed = [i for i in at.text_input if i.form_id == "sign_in"]
    name.input("Alice")
    typed.input(code.lower().replace("-", " "))  # as a student may type it
    at.button[0].click().run()
    assert greeting(at) == "hello alice as student"
    assert not list(at.query_params)  # nothing in the URL
    session_id = at.session_state[SESSION_KEY]
    assert classroom.user_of(session_id) == access.User("alice")
    assert greeting(at.run()) == "hello alice as student"  # the next run: still signed in


def test_a_reload_reads_the_session_from_the_cookie(classroom, monkeypatch):
    import streamlit as st

    session_id = classroom.open_session(access.User("alice"))
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: {COOKIE: session_id}))
    assert greeting(run_page()) == "hello alice as student"
    classroom.end_session(session_id)
    assert greeting(run_page()) is None  # a cookie of an ended session is nobody


def test_the_teacher_signs_in_with_the_password_and_a_student_cannot(classroom):
    at = run_page()
    name, password = [i for i in at.text_input if i.form_id == "teacher_sign_in"]
    name.input("Ms Li")
    password.input("guess")
    [b for b in at.button if b.form_id == "teacher_sign_in"][0].click().run()
    assert "wrong teacher password" in at.error[0].value and greeting(at) is None
    name, password = [i for i in at.text_input if i.form_id == "teacher_sign_in"]
    password.input("s3cret-pw")
    [b for b in at.button if b.form_id == "teacher_sign_in"][0].click().run()
    assert greeting(at) == "hello Ms Li as teacher"


def teacher_page(data_dir, user=TEACHER) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "10_teacher.py"), default_timeout=120)
    at.session_state[SESSION_KEY] = SignIns(data_dir).open_session(user)
    return at.run()


def test_the_teacher_page_issues_revokes_and_reissues_codes(classroom, data_dir):
    RunStore(data_dir).close()
    at = teacher_page(data_dir)
    assert not at.exception
    roster = [a for a in at.text_area if a.form_id == "roster_add"][0]
    roster.input("alice\nbob\n\n")
    [b for b in at.button if b.form_id == "roster_add"][0].click().run()
    assert not at.exception
    shown = at.table[0].value
    codes = dict(zip(shown.iloc[:, 0], shown.iloc[:, 1]))
    assert set(codes) == {"alice", "bob"}
    assert classroom.sign_in_with_code("bob", codes["bob"])[0] == access.User("bob")
    # a name given again is refused, naming it; the roster is unchanged
    roster = [a for a in at.text_area if a.form_id == "roster_add"][0]
    roster.input("Bob")
    [b for b in at.button if b.form_id == "roster_add"][0].click().run()
    assert "Bob" in at.error[0].value
    # revoke bob's code
    at.multiselect(key="roster_picked").select("bob").run()
    [b for b in at.button if b.label.startswith("Revoke")][0].click().run()
    with pytest.raises(ValueError):
        classroom.sign_in_with_code("bob", codes["bob"])
    # the wrong try just made is listed for the teacher
    assert "bob" in list(at.run().dataframe[-1].value.iloc[:, 2])
    # reissue: a new code, shown once
    at.multiselect(key="roster_picked").select("bob").run()
    [b for b in at.button if b.label.startswith("Reissue")][0].click().run()
    new = dict(zip(at.table[0].value.iloc[:, 0], at.table[0].value.iloc[:, 1]))["bob"]
    assert new != codes["bob"] and classroom.sign_in_with_code("bob", new)[0] == access.User("bob")
    [b for b in at.button if b.label == "Hide the codes"][0].click().run()
    assert not at.table  # gone for good: the server keeps only their hashes


def test_a_student_who_opens_the_teacher_page_is_refused(classroom, data_dir):
    at = teacher_page(data_dir, access.User("alice"))
    assert not at.exception and at.error and not at.text_area


def test_the_runs_page_shows_a_student_their_own_runs_and_offers_no_cancel_for_others(classroom, data_dir):
    store = RunStore(data_dir)
    mine = store.create_run("ssl", {"method": "simclr"}, owner="alice")
    theirs = store.create_run("ssl", {"method": "moco"}, owner="bob")
    at = AppTest.from_file(str(ROOT / "pages" / "2_runs.py"), default_timeout=60)
    at.session_state[SESSION_KEY] = classroom.open_session(access.User("alice"))
    at.query_params["run"] = f"{mine},{theirs}"  # a crafted link naming bob's run too
    at.run()
    assert not at.exception
    shown = list(at.dataframe[0].value["id"])
    assert mine in shown and theirs not in shown
    cancel = [b for b in at.button if "1" in b.label]  # "Cancel 1 run": only alice's own
    assert len(cancel) == 1
    cancel[0].click().run()
    assert store.get_run(mine).status == "cancelled" and store.get_run(theirs).status == "queued"
