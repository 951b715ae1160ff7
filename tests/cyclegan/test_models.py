import pytest
import torch

from replearn_core.cyclegan.models import PatchDiscriminator, ResnetGenerator, build_generator


@pytest.mark.parametrize("size", [64, 128, 256])
def test_generator_keeps_the_image_shape_and_range(size):
    g = ResnetGenerator(ngf=4, n_blocks=1)
    x = torch.rand(2, 3, size, size) * 2 - 1
    y = g(x)
    assert y.shape == (2, 3, size, size)
    assert y.min() >= -1 and y.max() <= 1  # tanh output, same range as the input


@pytest.mark.parametrize("size,cells", [(64, 6), (128, 14), (256, 30)])
def test_patchgan_scores_one_cell_per_70px_patch(size, cells):
    d = PatchDiscriminator(ndf=4)
    assert d(torch.zeros(2, 3, size, size)).shape == (2, 1, cells, cells)


def test_generator_width_and_depth_are_settable():
    small, wide = ResnetGenerator(ngf=8, n_blocks=6), ResnetGenerator(ngf=16, n_blocks=9)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(wide) > 3 * count(small)
    assert sum(1 for m in wide.modules() if m.__class__.__name__ == "ResidualBlock") == 9
    assert any(isinstance(m, torch.nn.ReflectionPad2d) for m in small.modules())
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in small.modules())


def test_initialisation_is_seeded():
    a, b = build_generator(4, 1, seed=3), build_generator(4, 1, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = build_generator(4, 1, seed=4)
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
