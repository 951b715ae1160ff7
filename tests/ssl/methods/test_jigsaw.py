"""Jigsaw: the permutation set, tiles and their inverse, and the puzzles shown on the page."""

import itertools

import pytest
import torch

from replearn_core.augment import plain
from replearn_core.data.shapes import make_shapes
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import build_method
from replearn_core.ssl.methods.jigsaw import (cut_tiles, hamming_permutations, inverse_permutations, join_tiles,
                                              shuffle_tiles)


@pytest.mark.parametrize("tiles, count", [(4, 12), (4, 24), (9, 30)])
def test_permutations_are_distinct_valid_and_invertible(tiles, count):
    perms = hamming_permutations(tiles, count)
    assert perms.shape == (count, tiles)
    assert len({tuple(p.tolist()) for p in perms}) == count
    assert all(sorted(p.tolist()) == list(range(tiles)) for p in perms)
    x = torch.arange(tiles).repeat(count, 1)  # (count, tiles)
    restored = shuffle_tiles(shuffle_tiles(x, perms), inverse_permutations(perms))
    assert torch.equal(restored, x)


def test_permutations_are_far_apart():
    """The greedy choice beats a random choice of the same size on the smallest Hamming distance."""
    def min_distance(perms):
        return min(int((a != b).sum()) for a, b in itertools.combinations(perms, 2))

    chosen = hamming_permutations(9, 20)
    random = torch.stack([torch.randperm(9, generator=torch.Generator().manual_seed(s)) for s in range(20)])
    assert min_distance(chosen) > min_distance(random)
    assert torch.equal(hamming_permutations(9, 20), chosen)  # deterministic: a stored run's classes stay put


def test_tiles_cut_and_join_back():
    x = torch.randn(2, 3, 12, 12)
    tiles = cut_tiles(x, 3)
    assert tiles.shape == (2, 9, 3, 4, 4)
    assert torch.equal(tiles[:, 5], x[:, :, 4:8, 8:12])  # row 1, column 2
    assert torch.equal(join_tiles(tiles), x)


def test_solve_reports_orders_and_a_restored_image():
    torch.manual_seed(0)
    method = build_method(TrainConfig(method="jigsaw", image_size=16)).eval()
    x = plain(make_shapes(4, 16, seed=0).images)
    solved = method.solve(x, torch.Generator().manual_seed(0))
    assert solved["shuffled"].shape == solved["restored"].shape
    assert solved["true"].shape == solved["predicted"].shape == (4, 4)
    # a right guess puts the tiles back where they were: compare with the unshuffled puzzle
    puzzles, classes = method.make_puzzles(x, torch.Generator().manual_seed(0), jitter=False)
    restored = shuffle_tiles(puzzles, inverse_permutations(method.permutations[classes]))
    unshuffled, _ = method.make_puzzles(x, None, jitter=False)
    assert restored.shape == unshuffled.shape


def test_too_many_permutations_is_a_value_error():
    with pytest.raises(ValueError, match="permutations"):
        hamming_permutations(4, 25)


def test_larger_images_get_a_three_by_three_puzzle():
    small = build_method(TrainConfig(method="jigsaw", image_size=32))
    large = build_method(TrainConfig(method="jigsaw", image_size=64))
    assert small.grid == 2 and small.permutations.shape == (12, 4)
    assert large.grid == 3 and large.permutations.shape == (100, 9)
    puzzles, classes = large.make_puzzles(plain(make_shapes(2, 64, seed=0).images), torch.Generator().manual_seed(0))
    assert puzzles.shape[:2] == (2, 9) and classes.shape == (2,)
