"""The lab's pictures of a run's stored method: reconstructions, samples, traversals and puzzles."""

import pytest
import torch

from replearn_core.runs import execute_run
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from replearn_core.ssl.artifacts import method_states
from replearn_core.ssl.views import VIEWS, load_run_method, run_views


def tiny_run(store, method, epochs=2, **options):
    """A real run of the job, small enough for a test: 16-pixel shapes, 64 training images."""
    config = TrainConfig(method=method, backbone=METHODS[method].default_backbone, image_size=16, epochs=epochs,
                         batch_size=32, max_train_images=64, knn_bank_images=64, eval_images=20, options=options)
    run_id = store.create_run("ssl", config.to_dict())
    execute_run(store, run_id, device=torch.device("cpu"))
    assert store.get_run(run_id).status == "finished", store.get_run(run_id).error
    return run_id


@pytest.mark.parametrize("method", ["mae", "vae", "jigsaw", "autoencoder"])
def test_every_view_of_a_method_draws_a_picture_with_a_caption(store, method):
    run_id = tiny_run(store, method)
    assert run_views(store, run_id) == METHODS[method].lab_views
    for view in run_views(store, run_id):
        picture, caption = VIEWS[view](store, run_id)
        assert picture.dtype == torch.uint8 and picture.dim() == 3 and picture.shape[-1] == 3
        assert caption


def test_a_stored_method_comes_back_with_its_decoder(store):
    run_id = tiny_run(store, "mae")
    method, meta = load_run_method(store, run_id)
    assert meta["epoch"] == 2 and hasattr(method, "decoder_pred") and not method.training
    # epoch 1 and the evaluation epochs are stored, each with the whole method
    assert [a.meta["epoch"] for a in method_states(store, run_id)] == [1, 2]


def test_mae_reconstructions_show_one_row_per_stored_epoch(store):
    run_id = tiny_run(store, "mae")
    _, caption = VIEWS["reconstruction"](store, run_id)
    assert caption == "rows, top to bottom: masked input; epoch 1; epoch 2; original"


def test_methods_without_views_store_no_method_and_offer_none(store):
    run_id = tiny_run(store, "rotation", epochs=1)
    assert method_states(store, run_id) == [] and run_views(store, run_id) == ()


def test_a_mae_runs_vit_encoder_loads_for_transfer_layer_by_layer(store):
    from replearn_core.checkpoints import load_run_encoder
    from replearn_core.backbones import VisionTransformer

    run_id = tiny_run(store, "mae", epochs=1)
    encoder, config = load_run_encoder(store, run_id)
    assert isinstance(encoder, VisionTransformer) and config["backbone"] == "vit"
    # every parameter belongs to exactly one stage: the transfer strategies freeze and scale them stage by stage
    in_stages = [id(p) for stage in encoder.stages for p in stage.parameters()]
    assert sorted(in_stages) == sorted(id(p) for p in encoder.parameters())
