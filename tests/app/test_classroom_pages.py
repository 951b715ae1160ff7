"""Classroom mode on every page that starts or picks runs (issue 15), through AppTest: a student's pickers and live
views show only their own runs (and shared ones), their Train creates runs they own, the teacher's page refuses
them, and what the teacher shares or limits there holds on the other pages."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replearn_core.i18n import translate
from replearn_core.runs import access
from replearn_core.runs.signin import SignIns
from replearn_core.runs.store import RunStore
from ui.classroom import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
ALICE, TEACHER = access.User("alice"), access.User("Ms Li", "teacher")


@pytest.fixture
def classroom(monkeypatch, data_dir):
    """Classroom mode; runs are queued, never executed (no worker process)."""
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.delenv("REPLEARN_MAX_EPOCHS", raising=False)
    monkeypatch.setenv("REPLEARN_MAX_ACTIVE_RUNS", "10")
    monkeypatch.setattr("replearn_core.runs.worker.submit", lambda kind, config, name=None, store=None, owner=None:
                        store.create_run(kind, config, name, owner=owner))
    store = RunStore(data_dir)
    yield store
    store.close()


def open_page(name: str, user: access.User, data_dir) -> AppTest:
    """The page in a browser session where ``user`` has signed in (a server-side session, as after the form)."""
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
    at.session_state[SESSION_KEY] = SignIns(data_dir).open_session(user)
    return at.run()


def shown(at: AppTest) -> str:
    """Every text of the page (values, labels, options, captions) in one string."""
    out = []

    def walk(node):
        for attr in ("value", "label", "body", "caption", "options"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # noqa: BLE001 - some elements compute their value lazily
                value = None
            out.append(str(value) if not isinstance(value, (list, tuple)) else " ".join(map(str, value)))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(at._tree)
    return "\n".join(out)


@pytest.mark.parametrize("page, kind", [("3_feature_maps.py", "ssl"), ("4_transfer.py", "transfer"),
                                        ("5_cyclegan.py", "cyclegan"), ("6_metric_learning.py", "metric"),
                                        ("7_domain_adaptation.py", "adapt")])
def test_a_student_sees_only_their_own_and_shared_runs_on_each_page(classroom, data_dir, page, kind):
    shared = classroom.create_run(kind, {"method": "simclr", "dataset": "digits"}, owner="carol")
    access.share(classroom, TEACHER, shared)
    mine = classroom.create_run(kind, {"method": "simclr", "dataset": "digits"}, owner="alice")
    theirs = classroom.create_run(kind, {"method": "simclr", "dataset": "digits"}, owner="bob")  # the newest
    at = open_page(page, ALICE, data_dir)  # live views show the newest run alice may see: hers, not bob's
    assert not at.exception, at.exception
    text = shown(at)
    assert mine in text and theirs not in text
    if page in ("3_feature_maps.py", "4_transfer.py"):  # pickers: the shared run is offered too
        assert shared in text


def test_a_queued_run_shows_its_place_and_an_estimated_start(classroom, data_dir):
    for _ in range(2):  # finished adaptation runs here: the median duration is the estimate
        done = classroom.create_run("adapt", {}, owner="bob")
        classroom.update(done, status="finished", started=1000.0, finished=1000.0 + 300)
    classroom.create_run("adapt", {}, owner="bob")  # first in line
    mine = classroom.create_run("adapt", {}, owner="alice")
    at = open_page("7_domain_adaptation.py", ALICE, data_dir)
    assert not at.exception
    expected = translate("queue.position_eta", "en", position=2, minutes=5)
    assert any(c.value == expected for c in at.caption), [c.value for c in at.caption]
    assert mine in shown(at)


def test_a_students_train_on_the_metric_and_adaptation_pages_makes_runs_they_own(classroom, data_dir):
    at = open_page("6_metric_learning.py", ALICE, data_dir)
    next(b for b in at.button if b.label == translate("lab.train", "en")).click().run()
    assert not at.exception and not at.error
    at = open_page("7_domain_adaptation.py", ALICE, data_dir)
    next(b for b in at.button if b.label == translate("da.adapt", "en")).click().run()
    assert not at.exception and not at.error
    runs = classroom.list_runs()
    assert sorted(r.kind for r in runs) == ["adapt", "metric"] and {r.owner for r in runs} == {"alice"}


def test_a_student_opening_the_teachers_page_is_refused(classroom, data_dir):
    classroom.create_run("ssl", {}, owner="bob")
    at = open_page("10_teacher.py", ALICE, data_dir)
    assert not at.exception
    assert at.error[0].value == translate("teacher.only", "en")
    assert not at.dataframe
    assert all(b.label != translate("teacher.save_limits", "en") for b in at.button)


def test_out_of_classroom_mode_the_teachers_page_says_so(monkeypatch, data_dir):
    monkeypatch.delenv("REPLEARN_CLASSROOM", raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "10_teacher.py"), default_timeout=60).run()
    assert not at.exception and at.info[0].value == translate("teacher.classroom_off", "en")


def test_the_teacher_shares_a_run_and_the_student_then_sees_it(classroom, data_dir):
    theirs = classroom.create_run("ssl", {"method": "moco"}, owner="bob")
    runs_page = open_page("2_runs.py", ALICE, data_dir)
    assert runs_page.info  # nothing of alice's to show
    at = open_page("10_teacher.py", TEACHER, data_dir)
    assert not at.exception
    assert list(at.dataframe[0].value["id"]) == [theirs] and list(at.dataframe[0].value["owner"]) == ["bob"]
    at.multiselect(key="teacher_picked").select(theirs).run()
    next(b for b in at.button if b.label == translate("teacher.share", "en", n=1)).click().run()
    assert not at.exception and classroom.get_run(theirs).shared
    runs_page = open_page("2_runs.py", ALICE, data_dir)
    assert list(runs_page.dataframe[0].value["id"]) == [theirs]
    assert not [b for b in runs_page.button if "1" in b.label]  # read-only for alice: no cancel


def test_the_teachers_max_epochs_refuses_a_students_longer_run_with_a_clear_message(classroom, data_dir):
    at = open_page("10_teacher.py", TEACHER, data_dir)
    next(n for n in at.number_input if n.label == translate("teacher.max_epochs", "en")).set_value(3)
    next(b for b in at.button if b.label == translate("teacher.save_limits", "en")).click().run()
    assert not at.exception
    assert access.ClassroomSettings.from_env(root=classroom.root).max_epochs == 3
    student = open_page("6_metric_learning.py", ALICE, data_dir)  # its default loss trains for more than 3 epochs
    next(b for b in student.button if b.label == translate("lab.train", "en")).click().run()
    assert classroom.list_runs() == []
    asked = next(s.value for s in student.slider if s.label == translate("common.epochs", "en"))
    assert asked > 3 and f"{asked} epochs is more than this class allows (3)" in student.error[0].value
