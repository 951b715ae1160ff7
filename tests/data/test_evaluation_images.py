"""One choice of evaluation images for every run that scores features, and for the feature maps' scores."""

from dataclasses import fields

import torch

from replearn_core.data import EvaluationImages, load_train_and_eval
from replearn_core.metric.config import MetricConfig
from replearn_core.ssl.config import TrainConfig


def test_the_run_configurations_that_score_features_share_its_names_and_defaults():
    for config in (TrainConfig(), MetricConfig()):
        assert EvaluationImages.of(config) == EvaluationImages(), type(config).__name__


def test_splits_are_the_runs_training_images_a_seeded_bank_and_the_held_out_images():
    settings = EvaluationImages(dataset="digits", image_size=16, max_train_images=300, eval_images=50,
                                knn_bank_images=100, seed=3)
    train, bank, heldout = settings.splits()
    same_train, same_heldout = load_train_and_eval("digits", None, 16, 300, 50, 3)
    assert torch.equal(train.images, same_train.images) and torch.equal(heldout.images, same_heldout.images)
    assert len(bank) == 100 and len(heldout) == 50
    again = settings.splits()[1]
    assert torch.equal(bank.images, again.images)  # the same bank every time
    assert {f.name for f in fields(EvaluationImages)} >= {"knn_bank_images", "knn_k"}
