"""Attack: a student starts an incremental-learning comparison from a classmate's encoder run (its id typed as the
encoder), or reads a classmate's comparison (its accuracy matrices, its feature maps) through the engine.

The access gate (replearn_core.runs.access) answers both exactly as it answers a made-up id: "no run with that
id"; the student's own run, and one the teacher shared, are accepted.
"""

import pytest
import torch

from replearn_core.incremental import IncrementalConfig
from replearn_core.incremental.lab import feature_map_figure, live_matrices, start_comparison
from replearn_core.runs import access
from replearn_core.runs.store import RunNotFound

ALICE, BOB = access.User("alice"), access.User("bob")
MADE_UP = "20240101-000000-fa4e00"


@pytest.fixture
def classroom(monkeypatch, store):
    """Classroom mode; bob owns a finished SSL run with an encoder checkpoint and a finished comparison."""
    from replearn_core.backbones import build_backbone
    from replearn_core.checkpoints import encoder_tensors
    from replearn_core.runs.context import RunContext

    monkeypatch.setenv("REPLEARN_CLASSROOM", "1")
    monkeypatch.delenv("REPLEARN_CLASS_CODE", raising=False)
    monkeypatch.setenv("REPLEARN_MAX_ACTIVE_RUNS", "10")
    encoder = store.create_run("ssl", {"method": "simclr", "dataset": "digits", "backbone": "small_cnn"},
                               owner="bob")
    comparison = store.create_run("incremental", IncrementalConfig().to_dict(), owner="bob")
    for run_id in (encoder, comparison):
        ctx = RunContext(store, run_id, torch.device("cpu"))
        if run_id == encoder:
            ctx.save_tensors("checkpoint_final", encoder_tensors(build_backbone("small_cnn")), step=1,
                             meta={"backbone": "small_cnn"})
        else:
            ctx.log(1, **{"acc/class/sequential/1": 0.99})
            ctx.save_tensors("map_class_sequential", {"coords_1": torch.zeros(3, 2), "units_1": torch.zeros(3, dtype=torch.long)},
                             kind="feature_map")
        ctx.close()
        store.finish(run_id, "finished")
    return store, encoder, comparison


def test_a_comparison_from_a_classmates_encoder_is_refused_like_a_made_up_id(classroom):
    store, bobs_encoder, _ = classroom
    answers = []
    for encoder in (bobs_encoder, MADE_UP):
        with pytest.raises(RunNotFound) as caught:
            start_comparison(IncrementalConfig(encoder=encoder, strategies=["sequential"]), store, ALICE)
        answers.append(str(caught.value).replace(encoder, "<id>"))
    assert answers[0] == answers[1]
    assert store.list_runs(kind="incremental", status="queued") == []
    start_comparison(IncrementalConfig(encoder=bobs_encoder, strategies=["sequential"]), store, BOB)  # his own
    access.share(store, access.User("Ms Li", "teacher"), bobs_encoder)
    start_comparison(IncrementalConfig(encoder=bobs_encoder, strategies=["sequential"]), store, ALICE)  # shared


def test_a_classmates_matrices_and_feature_maps_cannot_be_read_through_the_engine(classroom):
    store, _, bobs_comparison = classroom
    for read in (lambda user: live_matrices(store, bobs_comparison, user),
                 lambda user: feature_map_figure(store, bobs_comparison, "class", "sequential", 1, user=user)):
        with pytest.raises(RunNotFound):
            read(ALICE)
        assert read(BOB)  # the owner reads his own
