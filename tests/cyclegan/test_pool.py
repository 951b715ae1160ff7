import torch

from replearn_core.cyclegan.pool import ImagePool


def _batch(start, n=1):
    return torch.arange(start, start + n).float().view(n, 1, 1, 1).expand(n, 3, 2, 2).clone()


def test_pool_of_size_zero_passes_images_through():
    pool = ImagePool(0)
    x = _batch(0, 4)
    assert pool.query(x) is x and len(pool) == 0


def test_pool_fills_up_first_and_returns_the_new_images():
    pool = ImagePool(50)
    for i in range(50):
        out = pool.query(_batch(i))
        assert torch.equal(out, _batch(i))
    assert len(pool) == 50


def test_full_pool_swaps_about_half_and_keeps_its_size():
    pool = ImagePool(50, seed=1)
    pool.query(_batch(0, 50))
    swapped = 0
    for i in range(50, 450):
        out = pool.query(_batch(i))
        value = out[0, 0, 0, 0].item()
        if value != i:
            swapped += 1
            assert value < i  # an older image came back...
            assert any(p[0, 0, 0].item() == i for p in pool.images)  # ...and the new one took its place
        assert len(pool) == 50
    assert 140 < swapped < 260  # probability ½ over 400 draws


def test_pool_stores_copies_not_views():
    pool = ImagePool(5)
    x = _batch(7)
    pool.query(x)
    x.zero_()
    assert pool.images[0][0, 0, 0].item() == 7.0
