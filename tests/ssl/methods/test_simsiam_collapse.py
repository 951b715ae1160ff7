"""The lab's SimSiam demo: without the stop-gradient the collapse meter falls, with it the meter stays healthy."""

import torch

from replearn_core.data import load_dataset
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import build_method
from replearn_core.ssl.trainer import Trainer


def _collapse_after_training(stop_gradient: bool) -> tuple[float, float]:
    torch.manual_seed(0)
    config = TrainConfig(method="simsiam", epochs=6, batch_size=64, image_size=16, max_train_images=256,
                         options={"stop_gradient": stop_gradient})
    train = load_dataset("shapes", "train", 16).take(256)
    evaluation = load_dataset("shapes", "test", 16).take(128)
    trainer = Trainer(build_method(config), train, train, evaluation, config, torch.device("cpu"))
    trainer.fit()
    report = trainer.evaluate()
    return report["collapse_std"], report["collapse_ref"]


def test_removing_the_stop_gradient_collapses_the_representation():
    collapsed, reference = _collapse_after_training(stop_gradient=False)
    healthy, _ = _collapse_after_training(stop_gradient=True)
    assert collapsed < 0.3 * reference  # far below the 1/sqrt(d) of a spread-out representation
    assert healthy > 0.5 * reference
    assert healthy > 3 * collapsed
