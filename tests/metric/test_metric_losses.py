import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from replearn_core.metric.losses import (ArcFace, arcface_logits, arcface_loss, balanced_pairs, batch_all_triplets,
                                         batch_hard_triplets, contrastive_loss, pairwise_distances, siamese_loss,
                                         supcon_loss, triplet_loss, triplet_margin_loss)
from replearn_core.ssl.losses.nt_xent import nt_xent

LABELS = torch.tensor([0, 0, 1, 1, 1, 2, 2, 3])


def _emb(n=8, d=5, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_pairwise_distances_match_cdist_and_have_finite_gradients():
    z = _emb().requires_grad_()
    d = pairwise_distances(z)
    assert torch.allclose(d, torch.cdist(z, z), atol=1e-5)
    d.sum().backward()
    assert torch.isfinite(z.grad).all()


def test_triplet_margin_loss_matches_torch_reference():
    a, p, n = _emb(6, 4, 1), _emb(6, 4, 2), _emb(6, 4, 3)
    ours = triplet_margin_loss(a, p, n, margin=0.5)
    ref = F.triplet_margin_loss(a, p, n, margin=0.5, eps=0.0)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-5)


def test_batch_all_miner_enumerates_exactly_the_valid_triplets():
    a, p, n = batch_all_triplets(LABELS)
    got = set(zip(a.tolist(), p.tolist(), n.tolist()))
    expected = {(i, j, k) for i, j, k in itertools.product(range(8), repeat=3)
                if i != j and LABELS[i] == LABELS[j] and LABELS[k] != LABELS[i]}
    assert got == expected and len(a) == len(expected)


def test_batch_hard_miner_picks_farthest_positive_and_nearest_negative():
    z = F.normalize(_emb(), dim=1)
    d = torch.cdist(z, z)
    a, p, n = batch_hard_triplets(d, LABELS)
    assert 7 not in a.tolist()  # the only image of class 3 has no positive
    for i, j, k in zip(a.tolist(), p.tolist(), n.tolist()):
        positives = [x for x in range(8) if x != i and LABELS[x] == LABELS[i]]
        negatives = [x for x in range(8) if LABELS[x] != LABELS[i]]
        assert d[i, j] == max(d[i, x] for x in positives)
        assert d[i, k] == min(d[i, x] for x in negatives)


def test_batch_all_averages_over_active_triplets_only():
    z = _emb()
    loss, _ = triplet_loss(z, LABELS, margin=0.3, mining="batch_all")
    zn = F.normalize(z, dim=1)
    values = [max(0.0, (zn[i] - zn[j]).norm().item() - (zn[i] - zn[k]).norm().item() + 0.3)
              for i, j, k in zip(*[t.tolist() for t in batch_all_triplets(LABELS)])]
    active = [v for v in values if v > 0]
    assert loss.item() == pytest.approx(sum(active) / len(active), rel=1e-4)


def test_triplet_loss_is_zero_for_well_separated_classes():
    centres = torch.eye(4) * 10
    z = centres[LABELS] + 0.001 * _emb(8, 4)
    for mining in ("batch_all", "batch_hard"):
        assert triplet_loss(z, LABELS, 0.2, mining)[0].item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        triplet_loss(z, LABELS, 0.2, "semi_hard_typo")


def test_contrastive_loss_matches_the_formula():
    z1, z2 = _emb(6, 3, 4), _emb(6, 3, 5)
    same = torch.tensor([1, 0, 1, 0, 0, 1], dtype=torch.bool)
    expected = []
    for a, b, s in zip(z1, z2, same):
        d = (a - b).norm().item()
        expected.append(d ** 2 if s else max(0.0, 1.5 - d) ** 2)
    assert contrastive_loss(z1, z2, same, margin=1.5).item() == pytest.approx(sum(expected) / 6, rel=1e-5)


def test_balanced_pairs_are_half_positive_and_correctly_flagged():
    labels = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
    i, j, same = balanced_pairs(labels, torch.Generator().manual_seed(0))
    assert same.sum() == (~same).sum() == 18  # 3 classes × C(4, 2) positive pairs, as many negatives
    assert torch.equal(labels[i] == labels[j], same)
    assert (i < j).all()


def test_arcface_without_margin_is_softmax_on_scaled_cosines():
    z, w = _emb(8, 5), _emb(4, 5, 9)
    logits = 10.0 * F.normalize(z, dim=1) @ F.normalize(w, dim=1).T
    assert arcface_loss(z, w, LABELS, scale=10.0, margin=0.0).item() == pytest.approx(
        F.cross_entropy(logits, LABELS).item(), rel=1e-4)


def test_arcface_margin_lowers_only_the_true_class_logit_by_the_angle():
    z, w = _emb(8, 5), _emb(4, 5, 9)
    plain = arcface_logits(z, w, LABELS, scale=1.0, margin=0.0)
    margin = arcface_logits(z, w, LABELS, scale=1.0, margin=0.2)
    target = F.one_hot(LABELS, 4).bool()
    assert torch.allclose(plain[~target], margin[~target])
    theta = torch.acos(plain[target].clamp(-1, 1))
    expected = torch.where(theta + 0.2 < math.pi, torch.cos(theta + 0.2), plain[target] - 0.2 * math.sin(0.2))
    assert torch.allclose(margin[target], expected, atol=1e-5)
    assert arcface_loss(z, w, LABELS, 10, 0.3) > arcface_loss(z, w, LABELS, 10, 0.0)


def test_arcface_module_has_trainable_class_centres():
    head = ArcFace(5, 4)
    assert head.weight.shape == (4, 5) and head.weight.requires_grad
    head(_emb(), LABELS).backward()
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def _supcon_reference(z, labels, t):
    z = F.normalize(z, dim=1)
    total, anchors = 0.0, 0
    for i in range(len(z)):
        pos = [p for p in range(len(z)) if p != i and labels[p] == labels[i]]
        if not pos:
            continue
        denom = sum(math.exp((z[i] @ z[a]).item() / t) for a in range(len(z)) if a != i)
        total += -sum(math.log(math.exp((z[i] @ z[p]).item() / t) / denom) for p in pos) / len(pos)
        anchors += 1
    return total / anchors


def test_supcon_matches_a_loop_reference():
    z = _emb()
    assert supcon_loss(z, LABELS, 0.2).item() == pytest.approx(_supcon_reference(z, LABELS, 0.2), rel=1e-4)


def test_supcon_with_one_positive_each_is_nt_xent():
    z1, z2 = _emb(5, 6, 1), _emb(5, 6, 2)
    labels = torch.cat([torch.arange(5), torch.arange(5)])
    assert supcon_loss(torch.cat([z1, z2]), labels, 0.5).item() == pytest.approx(nt_xent(z1, z2, 0.5).item(), rel=1e-5)


@pytest.mark.parametrize("name", ["triplet_hard", "triplet_all", "contrastive", "arcface", "supcon"])
def test_each_loss_goes_down_under_gradient_steps(name):
    torch.manual_seed(0)
    x = torch.randn(24, 10)
    labels = torch.arange(4).repeat_interleave(6)
    x = x + labels[:, None].float()  # a little class signal to learn
    net = torch.nn.Linear(10, 8)
    head = ArcFace(8, 4)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=0.05)

    def loss_fn():
        z = net(x)
        return {"triplet_hard": lambda: triplet_loss(z, labels, 0.5, "batch_hard")[0],
                "triplet_all": lambda: triplet_loss(z, labels, 0.5, "batch_all")[0],
                "contrastive": lambda: siamese_loss(z, labels, 1.0, torch.Generator().manual_seed(0))[0],
                "arcface": lambda: head(z, labels), "supcon": lambda: supcon_loss(z, labels, 0.2)}[name]()

    first = loss_fn().item()
    for _ in range(30):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    assert loss_fn().item() < 0.8 * first


def test_soft_margin_triplet_is_softplus_of_the_gap():
    z = F.normalize(_emb(), dim=1)
    loss, _ = triplet_loss(z, LABELS, margin=0.2, mining="batch_hard", soft=True)
    a, p, n = batch_hard_triplets(pairwise_distances(z), LABELS)
    gap = (z[a] - z[p]).norm(dim=1) - (z[a] - z[n]).norm(dim=1)
    assert loss.item() == pytest.approx(F.softplus(gap).mean().item(), rel=1e-5)


def test_all_pairs_cosine_contrastive_matches_a_loop():
    z = _emb()
    loss, _ = siamese_loss(z, LABELS, margin=0.5, pairs="all", distance="cosine")
    zn = F.normalize(z, dim=1)
    pos, neg = [], []
    for i, j in itertools.permutations(range(8), 2):
        d = 1 - (zn[i] @ zn[j]).item()
        if LABELS[i] == LABELS[j]:
            pos.append(d ** 2)
        elif d < 0.5:
            neg.append((0.5 - d) ** 2)
    expected = sum(pos) / len(pos) + (sum(neg) / len(neg) if neg else 0.0)
    assert loss.item() == pytest.approx(expected, rel=1e-4)


def test_centring_is_folded_into_the_saved_head():
    from replearn_core.backbones import build_backbone
    from replearn_core.metric.model import MetricModel

    torch.manual_seed(0)
    model = MetricModel("triplet", build_backbone("cnn4"), 4, {"center": "true"})
    x = torch.rand(16, 3, 32, 32)
    model.loss(x, torch.arange(16) % 4)  # a training step updates the running mean
    assert model.embedding_mean.abs().sum() > 0
    model.eval()
    head = torch.nn.Linear(model.head.in_features, model.head.out_features)
    head.load_state_dict(model.head_state())
    with torch.no_grad():
        assert torch.allclose(head(model.backbone(x)), model(x), atol=1e-5)
