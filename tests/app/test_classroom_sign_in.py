"""The sign-in of classroom mode, through AppTest: nothing of the page shows before it; a wrong code says so;
the signed token in the URL keeps the user over a reload; out of the box there is no sign-in."""

from streamlit.testing.v1 import AppTest

from replearn_core.runs import access


def page():
    import streamlit as st

    from ui.classroom import current_user

    user = current_user()
    st.write(f"hello {user.name} as {user.role}")


def run_page(query=None):
    at = AppTest.from_function(page, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def test_out_of_the_box_there_is_no_sign_in(monkeypatch):
    monkeypatch.delenv("REPLEARN_CLASSROOM", raising=False)
    at = run_page()
    assert not at.exception and "hello None as local" in at.markdown[0].value


def test_classroom_mode_asks_first_then_keeps_the_user_in_a_signed_url(monkeypatch, data_dir):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.setenv("REPLEARN_CLASS_CODE", "owl-42")
    at = run_page()
    assert not at.exception
    assert not any("hello" in m.value for m in at.markdown)  # the page stops at the form
    at.text_input[0].input("alice")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert "wrong class code" in at.error[0].value
    at.text_input[1].input("owl-42")
    at.button[0].click().run()
    assert any("hello alice as student" in m.value for m in at.markdown)
    token = at.query_params["me"]
    token = token[0] if isinstance(token, list) else token
    # a reload (a new session) with the URL's token: signed in, no form
    again = run_page({"me": token})
    assert any("hello alice as student" in m.value for m in again.markdown)
    # a token edited to claim the teacher role is nobody: the form again
    payload, signature = token.rsplit(".", 1)
    forged = access.issue_token(access.User("alice", "teacher"), b"guess").rsplit(".", 1)[0]
    edited = run_page({"me": f"{forged}.{signature}"})
    assert not any("hello" in m.value for m in edited.markdown)


def test_the_runs_page_shows_a_student_their_own_runs_and_offers_no_cancel_for_others(monkeypatch, data_dir):
    from pathlib import Path

    from replearn_core.runs.store import RunStore

    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.delenv("REPLEARN_CLASS_CODE", raising=False)
    store = RunStore(data_dir)
    mine = store.create_run("ssl", {"method": "simclr"}, owner="alice")
    theirs = store.create_run("ssl", {"method": "moco"}, owner="bob")
    token = access.issue_token(access.User("alice"), access.classroom_secret(data_dir))
    page = Path(__file__).resolve().parents[2] / "pages" / "2_runs.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    at.query_params["me"] = token
    at.query_params["run"] = f"{mine},{theirs}"  # a crafted link naming bob's run too
    at.run()
    assert not at.exception
    shown = list(at.dataframe[0].value["id"])
    assert mine in shown and theirs not in shown
    cancel = [b for b in at.button if "1" in b.label]  # "Cancel 1 run": only alice's own
    assert len(cancel) == 1
    cancel[0].click().run()
    assert store.get_run(mine).status == "cancelled" and store.get_run(theirs).status == "queued"
