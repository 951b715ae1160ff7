"""Attack: a student opens a page with a classmate's run id in its URL (``/ssl_lab?run=<bob's id>``, any other
parameter a page reads), or names the classmate's run as a transfer's encoder.

Every page, walked as alice in classroom mode with bob's run ids in every parameter, must show nothing of bob's
runs (their names, headers, dataset paths, warnings, errors), and must answer exactly as it does for a made-up
id: the access gate (replearn_core.runs.access) answers "no run with that id" for both, so a link cannot even
tell that bob's run exists. The engine refuses the same ids at submit time and in the feature maps.
"""

import re
import sys
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from replearn_core.runs import access
from replearn_core.runs.store import RunNotFound, RunStore

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["home.py"] + sorted((p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")),
                             key=lambda p: int(re.match(r"pages/(\d+)_", p).group(1)))
PARAMS = ("run", "encoder", "source", "target", "dataset")  # every parameter that could name a run
ALICE, BOB = access.User("alice"), access.User("bob")
SECRETS = ("bob-secret-photos", "bob's private run", "bobs warning about his folder", "bobs own failure")
MADE_UP = "20240101-000000-fa4e00"


@pytest.fixture
def classroom(monkeypatch, data_dir):
    """Classroom mode (no class code), bob's runs of every kind (one with an encoder checkpoint, so that it would
    be offered as a transfer source or a feature map if the gate let it through), and alice's own SSL run."""
    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.delenv("REPLEARN_CLASS_CODE", raising=False)
    monkeypatch.setenv("REPLEARN_MAX_ACTIVE_RUNS", "10")
    monkeypatch.setenv("REPLEARN_REFRESH_S", "3600")
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext

    store = RunStore(data_dir)
    bobs = {}
    for kind in ("ssl", "supervised", "transfer", "metric", "adapt", "cyclegan"):
        config = {"method": "simclr", "dataset": "folder:/srv/bob-secret-photos", "backbone": "small_cnn",
                  "source": "folder:/srv/bob-secret-photos", "target": "digits", "image_size": 32}
        if kind == "transfer":
            config.update(encoder="random", strategies=["linear"], fractions=[0.1])
        run_id = store.create_run(kind, config, name="bob's private run", owner="bob")
        ctx = RunContext(store, run_id, torch.device("cpu"))
        ctx.log(1, loss=1.5, knn_acc=0.5)
        ctx.progress(0.5, "bobs warning about his folder")
        if kind in ("ssl", "supervised", "metric"):
            torch.manual_seed(0)
            ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                             meta={"backbone": "small_cnn", "epoch": 1})
        ctx.close()
        store.add_warning(run_id, "bobs warning about his folder")
        store.finish(run_id, "finished" if kind != "adapt" else "failed", error="bobs own failure"
                     if kind == "adapt" else None)
        bobs[kind] = run_id
    mine = store.create_run("ssl", {"method": "byol", "dataset": "shapes"}, owner="alice")
    store.finish(mine, "finished")
    yield store, bobs
    store.close()


@pytest.fixture
def as_alice(monkeypatch):
    """The pages' user is alice: ``ui.classroom.current_user`` (and every module that imported it) answers her,
    whatever the sign-in form looks like."""
    import ui.classroom
    import ui.panels  # noqa: F401  (imports current_user by name: patched below)

    original = ui.classroom.current_user

    def alice():
        return ALICE

    for module in list(sys.modules.values()):
        if getattr(module, "current_user", None) is original:
            monkeypatch.setattr(module, "current_user", alice)
    # the feature maps page says "preparing" until its background warm-up ends: the same page either way
    monkeypatch.setattr("replearn_core.projection.start_warm_up", lambda: {"done": True})
    return ALICE


def page_text(at: AppTest) -> tuple[str, str]:
    """(what the page shows: every value, label, option, caption and help; that plus the raw protobufs of
    charts and other elements, where a leak could hide in a figure's data)."""
    shown, raw = [], []

    def walk(node):
        for attr in ("value", "label", "body", "caption", "options", "help", "placeholder"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # noqa: BLE001 - some elements compute their value lazily
                value = None
            if value is not None and not callable(value):
                shown.append(" ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))
        proto = getattr(node, "proto", None)
        if proto is not None:
            raw.append(str(proto))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(at._tree)
    shown.append(repr(sorted((k, at.query_params[k]) for k in at.query_params)))
    text = "\n".join(shown)
    # how long a map took, and whether it came from the cache, is the one thing that changes between two visits
    text = re.sub(r"\d[\d.,]* s( \(cached\))?", "<seconds>", text)
    return text, text + "\n".join(raw)


def visit(page: str, run_id: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=180)
    for name in PARAMS:
        at.query_params[name] = run_id
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_a_classmates_run_id_in_any_url_parameter_shows_nothing_and_reads_like_a_made_up_id(
        classroom, as_alice, page):
    store, bobs = classroom
    made_up = visit(page, MADE_UP)
    assert not made_up.exception, made_up.exception
    expected, _ = page_text(made_up)
    for kind, bob_id in bobs.items():
        at = visit(page, bob_id)
        assert not at.exception, at.exception
        text, everything = page_text(at)
        leaks = [s for s in SECRETS if s in everything]
        assert not leaks, f"{page} with bob's {kind} run in its URL shows {leaks}"
        # the id alice typed may be echoed ("the link names run …"); everything else is the made-up id's answer
        assert text.replace(bob_id, "<id>") == expected.replace(MADE_UP, "<id>"), \
            f"{page} answers bob's {kind} run differently from a made-up id"
        others = [other for other in bobs.values() if other != bob_id and other in everything]
        assert not others, f"{page} shows bob's other runs {others}"


def test_the_gate_answers_a_classmates_run_and_a_made_up_id_with_the_same_error(classroom):
    store, bobs = classroom
    errors = []
    for run_id in (bobs["ssl"], MADE_UP):
        with pytest.raises(RunNotFound) as caught:
            access.get_run(store, ALICE, run_id)
        errors.append(str(caught.value).replace(run_id, "<id>"))
    assert errors[0] == errors[1]
    assert access.get_run(store, BOB, bobs["ssl"]).owner == "bob"
    assert access.get_runs(store, ALICE, [bobs["ssl"], MADE_UP]) == {}
    for read in (access.run_metrics, access.run_artifacts):
        with pytest.raises(RunNotFound):
            read(store, ALICE, bobs["ssl"])
    assert access.run_metrics(store, BOB, bobs["ssl"])["loss"] == ([1], [1.5])


def test_a_transfer_from_a_classmates_encoder_is_refused_when_submitted(classroom):
    store, bobs = classroom
    config = {"encoder": bobs["ssl"], "dataset": "digits", "strategies": ["linear"], "fractions": [0.1]}
    answers = []
    for encoder in (bobs["ssl"], MADE_UP):
        with pytest.raises(RunNotFound) as caught:
            access.check_submit(store, ALICE, dict(config, encoder=encoder))
        answers.append(str(caught.value).replace(encoder, "<id>"))
    assert answers[0] == answers[1]
    access.check_submit(store, BOB, config)  # his own: accepted
    access.share(store, access.User("Ms Li", "teacher"), bobs["ssl"])
    access.check_submit(store, ALICE, config)  # shared with the class: accepted
    access.check_submit(store, ALICE, dict(config, encoder="@ssl#0"))  # a claim's own first run: checked later


def test_a_classmates_run_cannot_be_mapped_through_the_engine(classroom):
    from replearn_core.projection import map_run

    store, bobs = classroom
    for source in (bobs["ssl"], f"init:{bobs['ssl']}"):
        with pytest.raises(RunNotFound) as caught:
            map_run(store, source, "pca", max_points=50, user=ALICE)
        assert "bob-secret-photos" not in str(caught.value)
