"""Every method learns on a tiny fixed batch; the method-specific machinery (EMA targets, queue) works."""

import pytest
import torch

from replearn_core.data.shapes import make_shapes
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS, build_method

IMAGE_SIZE = 16
STEPS = 10


@pytest.fixture(scope="module")
def images():
    return make_shapes(32, IMAGE_SIZE, seed=0).images  # (32, 3, 16, 16) uint8


def train_losses(name, images, steps=STEPS, options=None):
    """AdamW steps on one fixed batch with the same views each step; the loss after each step."""
    torch.manual_seed(0)
    method = build_method(TrainConfig(method=name, image_size=IMAGE_SIZE, options=options or {},
                                      backbone=METHODS[name].default_backbone))
    method.train()
    optimizer = torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=2e-3)
    losses = []
    for step in range(steps):
        loss, extra = method.training_loss(images, torch.Generator().manual_seed(0))
        assert loss.dim() == 0 and torch.isfinite(loss)
        assert all(isinstance(v, float) for v in extra.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        method.after_step((step + 1) / steps)
        losses.append(loss.item())
    return losses, method


def test_the_registry_finds_every_method_module_with_its_teaching_text():
    import pkgutil

    import replearn_core.ssl.methods as package

    modules = {m.name for m in pkgutil.iter_modules(package.__path__)} - {"base"}
    assert {cls.__module__.rsplit(".", 1)[1] for cls in METHODS.values()} == modules  # one method per file, none missed
    assert {"simclr", "moco", "byol", "simsiam", "barlow_twins"} <= set(METHODS)  # table 3.1's, at least
    assert list(METHODS) == sorted(METHODS, key=lambda m: (METHODS[m].order, m))
    for name, cls in METHODS.items():
        assert cls.name == name
        assert cls.title and cls.paper and cls.summary and cls.formula
        assert cls.backbones is None or cls.default_backbone in cls.backbones


def test_unknown_method_is_a_value_error():
    with pytest.raises(ValueError, match="unknown method"):
        build_method(TrainConfig(method="nope"))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_loss_goes_down_on_a_fixed_batch(name, images):
    losses, _ = train_losses(name, images)
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first, f"{name}: loss did not go down: {losses}"


def test_rotation_reports_its_pretext_accuracy(images):
    method = build_method(TrainConfig(method="rotation", image_size=IMAGE_SIZE))
    _, extra = method.training_loss(images[:8], torch.Generator().manual_seed(0))
    assert 0.0 <= extra["pretext_acc"] <= 1.0


@pytest.mark.parametrize("name, online, target", [("byol", "backbone", "target_backbone"),
                                                  ("moco", "backbone", "key_backbone")])
def test_momentum_target_gets_no_gradient_and_follows_the_online_network(name, online, target, images):
    torch.manual_seed(0)
    method = build_method(TrainConfig(method=name, image_size=IMAGE_SIZE))
    online_net, target_net = getattr(method, online), getattr(method, target)
    before = [p.clone() for p in target_net.parameters()]
    assert all(not p.requires_grad for p in target_net.parameters())
    optimizer = torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=1e-2)
    loss, _ = method.training_loss(images[:16], torch.Generator().manual_seed(0))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert all(p.grad is None for p in target_net.parameters())
    unchanged = all(torch.equal(a, b) for a, b in zip(before, target_net.parameters()))
    assert unchanged, "the target moved before after_step"
    method.after_step(0.0)
    moved = [not torch.equal(a, b) for a, b in zip(before, target_net.parameters())]
    assert any(moved), "the target did not follow the online network"
    # an EMA step lands between the old target and the online weights
    for old, new, cur in zip(before, target_net.parameters(), online_net.parameters()):
        lo, hi = torch.minimum(old, cur) - 1e-6, torch.maximum(old, cur) + 1e-6
        assert ((new >= lo) & (new <= hi)).all()


def test_moco_queue_takes_the_keys_in_a_ring(images):
    method = build_method(TrainConfig(method="moco", image_size=IMAGE_SIZE, options={"queue_size": 24}))
    method.train()
    with torch.no_grad():
        for expected_ptr in (16, 8):  # 16 keys, then wrap around the 24 slots
            method.training_loss(images[:16], torch.Generator().manual_seed(0))
            assert int(method.queue_ptr) == expected_ptr
    assert torch.allclose(method.queue.norm(dim=1), torch.ones(24), atol=1e-5)


@pytest.mark.parametrize("target", ["structure", "pixels"])
def test_autoencoder_learns_with_either_target(target, images):
    losses, _ = train_losses("autoencoder", images, options={"target": target})
    assert sum(losses[-3:]) < sum(losses[:3])


def test_autoencoder_rejects_an_unknown_target():
    with pytest.raises(ValueError, match="structure, pixels"):
        build_method(TrainConfig(method="autoencoder", image_size=IMAGE_SIZE, options={"target": "colour"}))


def test_the_structure_target_ignores_colour_and_brightness():
    from replearn_core.augment import normalize, to_float
    from replearn_core.ssl.methods.autoencoder import luminance_pattern

    images = to_float(make_shapes(8, IMAGE_SIZE, seed=1).images)
    pattern, dimmed = luminance_pattern(normalize(images)), luminance_pattern(normalize(0.6 * images))
    assert pattern.shape == (8, 1, IMAGE_SIZE, IMAGE_SIZE)
    torch.testing.assert_close(pattern.mean((2, 3)), torch.zeros(8, 1), atol=1e-4, rtol=0)
    # a uniformly dimmer image has the same pattern, up to a scale (the constant that keeps flat images flat)
    a, b = pattern.flatten(1), dimmed.flatten(1)
    assert torch.nn.functional.cosine_similarity(a, b).min() > 0.999


def test_a_default_run_evaluates_about_five_times_and_always_at_the_end():
    config = TrainConfig(epochs=32)
    epochs = [e for e in range(1, 33) if config.evaluates_at(e)]
    assert epochs == [6, 12, 18, 24, 30, 32]
    assert [e for e in range(1, 4) if TrainConfig(epochs=3).evaluates_at(e)] == [1, 2, 3]
    assert [e for e in range(1, 11) if TrainConfig(epochs=10, eval_every=4).evaluates_at(e)] == [4, 8, 10]

