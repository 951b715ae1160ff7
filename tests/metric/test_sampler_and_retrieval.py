import pytest
import torch

from replearn_core.metric.retrieval import retrieval_metrics
from replearn_core.metric.sampler import ClassBalancedSampler


def test_sampler_gives_m_images_of_each_of_p_classes():
    labels = torch.arange(10).repeat_interleave(30)
    sampler = ClassBalancedSampler(labels, m_per_class=4, batch_size=32, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 300 // 32
    for idx in batches:
        counts = torch.bincount(labels[idx], minlength=10)
        assert (counts > 0).sum() == 8 and set(counts[counts > 0].tolist()) == {4}


def test_sampler_fills_the_batch_when_classes_are_few_and_repeats_small_classes():
    labels = torch.tensor([0] * 50 + [1] * 3)
    sampler = ClassBalancedSampler(labels, m_per_class=4, batch_size=20, seed=0)
    idx = next(iter(sampler))
    assert torch.equal(torch.bincount(labels[idx]), torch.tensor([10, 10]))
    with pytest.raises(ValueError):
        ClassBalancedSampler(torch.zeros(10, dtype=torch.long))


def test_perfect_embeddings_score_one_everywhere():
    labels = torch.arange(5).repeat_interleave(4)
    emb = torch.eye(5)[labels] + 0.01 * torch.randn(20, 5)
    m = retrieval_metrics(emb, labels)
    assert all(v == pytest.approx(1.0) for v in m.values())


def test_map_at_r_matches_a_brute_force_computation():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(30, 4, generator=g)
    labels = torch.randint(0, 3, (30,), generator=g)
    m = retrieval_metrics(emb, labels, ks=(1, 5))
    z = torch.nn.functional.normalize(emb, dim=1)
    sim = z @ z.T
    aps, r1, r5 = [], [], []
    for i in range(30):
        order = [j for j in sim[i].argsort(descending=True).tolist() if j != i]
        correct = [labels[j] == labels[i] for j in order]
        r = int((labels == labels[i]).sum()) - 1
        hits, ap = 0, 0.0
        for pos, c in enumerate(correct[:r], start=1):
            if c:
                hits += 1
                ap += hits / pos
        aps.append(ap / r)
        r1.append(bool(correct[0]))
        r5.append(any(correct[:5]))
    assert m["map_at_r"] == pytest.approx(sum(aps) / 30, abs=1e-5)
    assert m["recall_at_1"] == pytest.approx(sum(r1) / 30)
    assert m["recall_at_5"] == pytest.approx(sum(r5) / 30)
