import torch

from replearn_core.transfer.subsets import label_subsets


def test_subsets_are_per_class_nested_seeded_and_never_empty():
    labels = torch.arange(1000) % 10  # 100 images per class
    subsets = label_subsets(labels, [0.01, 0.1, 1.0], seed=4)
    assert [len(subsets[f]) for f in (0.01, 0.1, 1.0)] == [10, 100, 1000]
    for f in (0.01, 0.1):
        counts = torch.bincount(labels[subsets[f]], minlength=10)
        assert (counts == counts[0]).all()  # the same share of every class
    assert set(subsets[0.01].tolist()) <= set(subsets[0.1].tolist())  # nested
    again = label_subsets(labels, [0.1], seed=4)[0.1]
    assert torch.equal(again, subsets[0.1])  # identical for every strategy
    other = label_subsets(labels, [0.1], seed=5)[0.1]
    assert not torch.equal(other, subsets[0.1])


def test_a_tiny_fraction_keeps_one_image_of_every_class():
    labels = torch.tensor([0] * 30 + [1] * 5 + [2] * 2)
    idx = label_subsets(labels, [0.001])[0.001]
    assert sorted(labels[idx].tolist()) == [0, 1, 2]
