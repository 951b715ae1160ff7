"""Batch augmentations: shapes, per-image randomness, what each op does, and recipe validation."""

import pytest
import torch

from replearn_core.augment import (AUGMENTATIONS, AugSpec, augment, default_recipe, denormalize, plain,
                                   recipe_from_dicts)
from tests.threads import one_thread  # noqa: F401  (autouse: one torch thread)


def batch(n=4, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)


@pytest.mark.parametrize("kind", ["contrastive", "light"])
def test_output_is_a_normalised_float_batch_of_the_same_shape(kind):
    x = batch()
    out = augment(x, default_recipe(kind), torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 16, 16) and out.dtype == torch.float32
    back = denormalize(out)
    assert back.min() >= 0 and back.max() <= 1
    assert augment(x, default_recipe(kind), out_size=24).shape == (4, 3, 24, 24)


def test_seeded_generator_reproduces_the_views():
    x = batch()
    a = augment(x, default_recipe(), torch.Generator().manual_seed(5))
    b = augment(x, default_recipe(), torch.Generator().manual_seed(5))
    c = augment(x, default_recipe(), torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_each_image_gets_its_own_crop():
    one = batch(1)
    twins = one.repeat(2, 1, 1, 1)  # the same image twice in one batch
    out = augment(twins, [AugSpec("crop", 1.0, 1.0)], torch.Generator().manual_seed(0))
    assert not torch.allclose(out[0], out[1])


def test_empty_recipe_is_plain_normalisation():
    x = batch()
    assert torch.allclose(augment(x, []), plain(x))
    assert torch.allclose(denormalize(plain(x)), x.float() / 255, atol=1e-6)


def test_grayscale_with_p1_gives_equal_channels():
    out = augment(batch(), [AugSpec("grayscale", 1.0)])
    assert torch.allclose(out[:, 0], out[:, 1]) and torch.allclose(out[:, 1], out[:, 2])


def test_flip_with_p1_and_no_crop_mirrors_every_image():
    x = batch()
    out = augment(x, [AugSpec("flip", 1.0)])
    assert torch.allclose(out, plain(x).flip(-1), atol=1e-5)


def test_flip_with_p0_changes_nothing():
    x = batch()
    assert torch.allclose(augment(x, [AugSpec("flip", 0.0)]), plain(x), atol=1e-5)


def test_solarize_at_full_strength_inverts_every_pixel():
    x = batch()
    out = denormalize(augment(x, [AugSpec("solarize", 1.0, 2.0)]))  # threshold 1 - 0.5·2 = 0
    assert torch.allclose(out, 1 - x.float() / 255, atol=1e-5)


def test_blur_smooths_noise():
    x = batch(size=32)
    out = augment(x, [AugSpec("blur", 1.0, 1.0)], torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 32, 32)
    assert out.std() < 0.8 * plain(x).std()


def test_color_jitter_changes_colours_but_not_geometry():
    x = batch()
    out = augment(x, [AugSpec("color_jitter", 1.0, 1.0)], torch.Generator().manual_seed(0))
    assert not torch.allclose(out, plain(x))
    # brightness/contrast/saturation/hue act per pixel: a constant image stays constant
    flat = torch.full((2, 3, 8, 8), 100, dtype=torch.uint8)
    jittered = augment(flat, [AugSpec("color_jitter", 1.0, 1.0)], torch.Generator().manual_seed(0))
    assert torch.allclose(jittered, jittered[:, :, :1, :1].expand_as(jittered), atol=1e-5)


def test_recipe_round_trips_through_dicts():
    recipe = default_recipe()
    assert recipe_from_dicts([s.to_dict() for s in recipe]) == recipe
    assert set(s.op for s in recipe) <= set(AUGMENTATIONS)


@pytest.mark.parametrize("item, message", [({"op": "mixup"}, "unknown augmentation"),
                                           ({"op": "flip", "p": 1.5}, "probability"),
                                           ({"op": "blur", "strength": -0.1}, "strength"),
                                           ({"op": "crop", "strength": 3}, "strength")])
def test_recipe_validation_errors(item, message):
    with pytest.raises(ValueError, match=message):
        recipe_from_dicts([item])


def test_the_hue_turns_only_where_classes_never_depend_on_hue():
    from replearn_core.data import hue_free
    from replearn_core.ssl.config import TrainConfig
    from replearn_core.ssl.lab import lab_defaults
    from replearn_core.ssl.methods import build_method

    assert hue_free("shapes") and not hue_free("digits") and not hue_free("folder:/photos")
    assert "hue" in [s.op for s in default_recipe()] and "hue" not in [s.op for s in default_recipe(hue_turn=False)]
    ops = lambda dataset: [s.op for s in build_method(TrainConfig(dataset=dataset)).recipe]  # noqa: E731
    assert "hue" in ops("shapes") and "hue" not in ops("folder:/photos")
    defaults = lab_defaults()["simclr"]
    assert [r["op"] for r in defaults.default_recipe("shapes")] == ops("shapes")
    assert [r["op"] for r in defaults.default_recipe("folder:/x")] == ops("folder:/x")
