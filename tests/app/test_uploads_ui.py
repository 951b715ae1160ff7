"""ui/uploads.py through AppTest: the teacher sets the upload quota and sees each student's use; a student sees
their own uploads and their use of the quota, and deletes one."""

from streamlit.testing.v1 import AppTest

from replearn_core import uploads
from replearn_core.runs.access import User
from replearn_core.runs.store import RunStore


def teacher_script():
    from replearn_core.runs.access import User
    from replearn_core.runs.store import RunStore
    from ui.uploads import quota_form

    quota_form(RunStore(), User("Ms Li", "teacher"))


def student_script():
    from replearn_core.runs.access import User
    from replearn_core.runs.store import RunStore
    from ui.uploads import my_uploads

    my_uploads(RunStore(), User("alice"))


def test_the_teacher_sets_the_quota_and_sees_each_students_use(data_dir, monkeypatch):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    store = RunStore(data_dir)
    uploads.store_upload(store, User("alice"), "enc.pt", bytes(300_000))
    at = AppTest.from_function(teacher_script, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.number_input[0].value == 200  # the default
    assert at.dataframe[0].value.iloc[0].tolist() == ["alice", 0.3]
    at.number_input[0].set_value(5)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert uploads.class_quota_mb(store) == 5
    assert at.number_input[0].value == 5


def test_a_student_sees_their_use_and_deletes_an_upload(data_dir, monkeypatch):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    store = RunStore(data_dir)
    kept = uploads.store_upload(store, User("alice"), "enc.pt", bytes(2**20))
    uploads.store_upload(store, User("bob"), "bobs.pt", bytes(10))
    at = AppTest.from_function(student_script, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.expander[0].label == "Your uploads: 1.0 MB of 200.0 MB"
    assert kept.name in at.text[0].value and "bobs.pt" not in str(at.text)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not kept.exists() and uploads.list_uploads(store, User("bob"))
    assert at.expander[0].label == "Your uploads: 0.0 MB of 200.0 MB"
