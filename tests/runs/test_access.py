"""Classroom mode (issue 15): runs belong to students; a student cannot see, cancel, delete or share another's run
through the engine, whatever id they craft; the teacher can; the queue takes students in turns."""

import pytest

from replearn_core.runs import access
from replearn_core.runs.access import LOCAL, AccessDenied, ClassroomSettings, User
from replearn_core.runs.store import ReferenceRunError, RunNotFound

ALICE, BOB, TEACHER = User("alice"), User("bob"), User("Ms Li", "teacher")
CLASSROOM = ClassroomSettings(enabled=True, teacher_password_hash=access.hash_password("s3cret"),
                              max_active_runs=1, max_epochs=50)


def test_out_of_the_box_there_is_one_user_who_may_do_everything(store):
    run = store.create_run("ssl", {"method": "simclr"})
    assert [r.id for r in access.list_runs(store, LOCAL)] == [run]
    access.cancel(store, LOCAL, run)
    access.delete(store, LOCAL, run)
    assert store.list_runs() == []


def test_password_hashes_are_salted_and_checked_in_constant_time():
    first, second = access.hash_password("pw"), access.hash_password("pw")
    assert first != second and first.startswith("pbkdf2_sha256$")
    assert access.check_password("pw", first) and access.check_password("pw", second)
    assert not access.check_password("pW", first)
    assert not access.check_password("pw", "md5$abc") and not access.check_password("pw", None)


def test_a_student_sees_their_own_shared_and_reference_runs_only(store):
    mine = store.create_run("ssl", {}, owner="alice")
    theirs = store.create_run("ssl", {}, owner="bob")
    shared = store.create_run("ssl", {}, owner="bob")
    access.share(store, TEACHER, shared)
    assert {r.id for r in access.list_runs(store, ALICE)} == {mine, shared}
    assert {r.id for r in access.list_runs(store, TEACHER)} == {mine, theirs, shared}
    # a crafted id of another student's run is answered exactly like an id that does not exist
    with pytest.raises(RunNotFound) as hidden:
        access.get_run(store, ALICE, theirs)
    with pytest.raises(RunNotFound) as missing:
        access.get_run(store, ALICE, "20990101-000000-abcdef")
    assert str(hidden.value).replace(theirs, "ID") == str(missing.value).replace("20990101-000000-abcdef", "ID")


def test_the_run_a_page_shows_first_is_the_users_newest_of_its_kind(store):
    assert access.latest_run(store, ALICE, "metric") is None
    hers = store.create_run("metric", {}, owner="alice")
    store.create_run("ssl", {}, owner="alice")  # newer, another kind
    store.create_run("metric", {}, owner="bob")  # newer, not hers
    assert access.latest_run(store, ALICE, "metric").id == hers


def test_a_student_cannot_cancel_delete_or_share_what_is_not_theirs(store):
    theirs = store.create_run("ssl", {}, owner="bob")
    shared = store.create_run("ssl", {}, owner="bob")
    access.share(store, TEACHER, shared)
    for action in (access.cancel, access.delete):
        with pytest.raises(RunNotFound):
            action(store, ALICE, theirs)
        with pytest.raises(AccessDenied, match="only its owner or the teacher"):
            action(store, ALICE, shared)
    with pytest.raises(AccessDenied, match="only the teacher can share"):
        access.share(store, ALICE, shared)
    assert store.get_run(theirs).status == "queued" and store.get_run(shared).status == "queued"
    access.cancel(store, BOB, theirs)  # the owner may
    assert store.get_run(theirs).status == "cancelled"
    access.cancel(store, TEACHER, shared)  # and the teacher may
    access.delete(store, TEACHER, shared)
    with pytest.raises(RunNotFound):
        store.get_run(shared)


def test_reference_runs_stay_read_only_for_everyone(store):
    run = store.create_run("ssl", {})
    store.update(run, reference=1, status="finished")
    assert run in {r.id for r in access.list_runs(store, ALICE)}
    for user in (ALICE, TEACHER, LOCAL):
        with pytest.raises(ReferenceRunError):
            access.delete(store, user, run)


def test_the_class_limits_refuse_a_second_active_run_and_too_many_epochs(store):
    access.check_submit(store, ALICE, {"epochs": 30}, CLASSROOM)
    store.create_run("ssl", {"epochs": 30}, owner="alice")
    with pytest.raises(AccessDenied, match="already have 1 run"):
        access.check_submit(store, ALICE, {"epochs": 30}, CLASSROOM)
    access.check_submit(store, BOB, {"epochs": 30}, CLASSROOM)  # bob is not held up by alice's run
    with pytest.raises(AccessDenied, match="more than this class allows"):
        access.check_submit(store, BOB, {"epochs": 500}, CLASSROOM)
    access.check_submit(store, TEACHER, {"epochs": 500}, CLASSROOM)  # the teacher sets the limits, not held by them


def test_the_queue_takes_owners_in_turns_not_first_come_first_served(store):
    a1 = store.create_run("ssl", {}, owner="alice")
    a2 = store.create_run("ssl", {}, owner="alice")
    a3 = store.create_run("ssl", {}, owner="alice")
    b1 = store.create_run("ssl", {}, owner="bob")
    c1 = store.create_run("ssl", {}, owner="carol")
    b2 = store.create_run("ssl", {}, owner="bob")
    assert store.queue_order() == [a1, b1, c1, a2, b2, a3]
    assert not store.claim(a2, "cpu") and not store.claim(b1, "cpu")
    assert store.claim(a1, "cpu")
    store.finish(a1, "finished")
    assert not store.claim(a2, "cpu")  # alice's second run waits for bob's and carol's first
    assert store.claim(b1, "cpu")


def test_one_local_user_is_still_first_come_first_served(store):
    runs = [store.create_run("ssl", {}) for _ in range(3)]
    assert store.queue_order() == runs
    assert not store.claim(runs[1], "cpu") and store.claim(runs[0], "cpu")


def test_malformed_classroom_settings_name_the_variable():
    with pytest.raises(ValueError, match="REPLEARN_MAX_ACTIVE_RUNS='two'"):
        ClassroomSettings.from_env({"REPLEARN_CLASSROOM": "1", "REPLEARN_MAX_ACTIVE_RUNS": "two"})
    settings = ClassroomSettings.from_env({"REPLEARN_CLASSROOM": "yes", "REPLEARN_MAX_EPOCHS": "40"})
    assert settings.enabled and settings.max_epochs == 40


def test_the_command_line_makes_a_hash_the_server_accepts(capsys, monkeypatch):
    import io

    from replearn_core.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert main(["teacher-password", "--stdin"]) == 0
    stored = capsys.readouterr().out.strip()
    assert access.check_password("correct horse", stored) and not access.check_password("correct horsE", stored)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["teacher-password", "--stdin"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err


def test_the_teacher_saves_limits_in_the_data_folder_and_every_session_reads_them(store, monkeypatch):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.setenv("REPLEARN_MAX_EPOCHS", "50")
    access.check_submit(store, ALICE, {"epochs": 30})  # the variable's limit, 50
    with pytest.raises(AccessDenied, match="only the teacher"):
        access.save_limits(store, ALICE, 5, 0)
    with pytest.raises(ValueError, match="1 or more"):
        access.save_limits(store, TEACHER, 0, 10)
    settings = access.save_limits(store, TEACHER, 3, 20)
    assert (settings.max_active_runs, settings.max_epochs) == (3, 20)
    # another session (a fresh read of the data folder) is held by the saved limit, not the variable's
    assert ClassroomSettings.from_env(root=store.root).max_epochs == 20
    with pytest.raises(AccessDenied, match="30 epochs is more than this class allows \\(20\\)"):
        access.check_submit(store, ALICE, {"epochs": 30})
    access.check_submit(store, ALICE, {"epochs": 20})
    (store.root / access.LIMITS_FILE).write_text("not json")  # a broken file: the variables again
    assert ClassroomSettings.from_env(root=store.root).max_epochs == 50


def test_several_runs_are_queued_all_within_the_limits_or_none(store, monkeypatch):
    monkeypatch.setattr("replearn_core.runs.worker.submit",
                        lambda kind, config, name=None, store=None, owner=None:
                        store.create_run(kind, config, name, owner=owner))
    two = ClassroomSettings(enabled=True, max_active_runs=2)
    runs = [("metric", {"epochs": 1}, None)] * 3
    with pytest.raises(AccessDenied, match="these 3 would make 3"):
        access.submit_all_as(ALICE, runs, store, two)
    assert store.list_runs() == []  # none queued
    ids = access.submit_all_as(ALICE, runs[:2], store, two)
    assert [store.get_run(i).owner for i in ids] == ["alice", "alice"]


def test_a_queued_run_knows_its_place_and_about_when_it_starts(store):
    import os
    import time

    assert access.median_duration(store, "ssl") is None
    for seconds in (60, 100, 400):  # finished ssl runs: the median is 100 s
        done = store.create_run("ssl", {})
        store.update(done, status="finished", started=1000.0, finished=1000.0 + seconds)
    running = store.create_run("ssl", {}, owner="bob")
    store.update(running, status="running", started=time.time() - 40, heartbeat=time.time(),
                 pid=os.getpid())  # alive, about 60 s left
    first = store.create_run("ssl", {}, owner="alice")
    second = store.create_run("ssl", {}, owner="alice")
    assert access.median_duration(store, "ssl") == 100
    assert access.queue_spot(store, running) is None  # not queued
    spot = access.queue_spot(store, first, concurrency=1)
    assert spot.position == 1 and 55 <= spot.wait_s <= 61
    spot = access.queue_spot(store, second, concurrency=1)
    assert spot.position == 2 and 155 <= spot.wait_s <= 161
    assert access.queue_spot(store, second, concurrency=2).wait_s < 81
    other = store.create_run("metric", {}, owner="carol")  # carol's first run goes before alice's second
    assert access.queue_spot(store, other, concurrency=1).position == 2
    # no metric run has finished: behind carol's, a place but no estimate
    assert access.queue_spot(store, second, concurrency=1) == access.QueueSpot(3, None)


def test_the_overview_is_the_teachers_alone(store):
    mine = store.create_run("ssl", {"method": "simclr"}, owner="alice")
    theirs = store.create_run("ssl", {"method": "moco"}, owner="bob")
    with pytest.raises(AccessDenied, match="only the teacher"):
        access.overview(store, ALICE)
    rows = {row["id"]: row for row in access.overview(store, TEACHER)}
    assert rows[mine]["owner"] == "alice" and rows[theirs]["position"] == 2 and rows[mine]["method"] == "simclr"


def test_the_teacher_limits_the_backbones_and_gives_one_student_limits_of_their_own(store, monkeypatch):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.setenv("REPLEARN_ALLOWED_BACKBONES", "cnn4")
    with pytest.raises(AccessDenied, match="resnet18 backbone is not allowed in this class: choose one of cnn4"):
        access.check_submit(store, ALICE, {"epochs": 5, "backbone": "resnet18"})
    access.check_submit(store, ALICE, {"epochs": 5, "backbone": "cnn4"})
    with pytest.raises(ValueError, match="unknown backbone"):
        access.save_limits(store, TEACHER, 1, 10, ["not-a-net"])
    with pytest.raises(AccessDenied, match="only the teacher"):
        access.save_limits(store, ALICE, 3, 0, student="alice")  # a student cannot raise their own limits
    access.save_limits(store, TEACHER, 1, 10, [])  # the class: any backbone, 10 epochs
    settings = access.save_limits(store, TEACHER, 2, 40, ["cnn4"], student="bob")
    assert settings.limits_for("bob") == access.Limits(2, 40, ("cnn4",))
    assert settings.limits_for("alice") == access.Limits(1, 10, ())
    access.check_submit(store, ALICE, {"epochs": 10, "backbone": "resnet18"})
    with pytest.raises(AccessDenied, match="more than this class allows \\(10\\)"):
        access.check_submit(store, ALICE, {"epochs": 40})
    access.check_submit(store, BOB, {"epochs": 40, "backbone": "cnn4"})  # bob's own limits
    store.create_run("ssl", {"epochs": 5}, owner="bob")
    access.check_submit(store, BOB, {"epochs": 5})  # his second run: his limit is 2
    with pytest.raises(AccessDenied, match="not allowed"):
        access.check_submit(store, BOB, {"epochs": 5, "backbone": "resnet18"})
    settings = access.clear_student_limits(store, TEACHER, "bob")  # back to the class's
    assert settings.limits_for("bob") == settings.class_limits
    with pytest.raises(AccessDenied, match="already have 1 run"):
        access.check_submit(store, BOB, {"epochs": 5})


def test_uploads_are_kept_per_owner_and_a_student_cannot_name_another_file(store, monkeypatch, tmp_path):
    from replearn_core.transfer.lab import save_upload

    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    alices = save_upload("enc.safetensors", b"alice's weights", ALICE, store)
    bobs = save_upload("enc.safetensors", b"bob's weights", BOB, store)
    assert alices != bobs and alices.read_bytes() == b"alice's weights"  # same name, nothing overwritten
    assert save_upload("enc.safetensors", b"alice's weights", ALICE, store) == alices
    with pytest.raises(ValueError, match="expected a .safetensors"):
        save_upload("notes.txt", b"x", ALICE, store)
    access.check_submit(store, ALICE, {"epochs": 1, "encoder": f"file:{alices}"})
    secret = tmp_path / "server-secret.safetensors"
    secret.write_bytes(b"x")
    for path in (bobs, secret, alices.parent / ".." / bobs.parent.name / bobs.name, "/etc/passwd"):
        with pytest.raises(AccessDenied, match="among your uploads"):
            access.check_submit(store, ALICE, {"epochs": 1, "encoder": f"file:{path}"})
    access.check_submit(store, TEACHER, {"epochs": 1, "encoder": f"file:{bobs}"})  # the teacher may
    assert access.check_file(store, LOCAL, secret) == secret.resolve()  # out of the box: the one user's files


def test_a_student_cannot_train_on_the_data_folders_runs_or_uploads(store, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    for folder in (store.root, store.root / "runs", store.root / "runs" / "abc123", store.root / "uploads" / "bob"):
        with pytest.raises(AccessDenied, match="holds the class's runs or uploads"):
            access.check_submit(store, ALICE, {"epochs": 1, "dataset": f"folder:{folder}"})
    access.check_submit(store, ALICE, {"epochs": 1, "dataset": f"folder:{tmp_path}"})  # a folder of images
    access.check_submit(store, TEACHER, {"epochs": 1, "dataset": f"folder:{store.root / 'runs'}"})
