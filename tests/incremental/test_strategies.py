"""Each strategy's loss against a small reference computation, and the replay memory's balance."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.losses import distillation, ewc_penalty, fisher_diagonal, masked_cross_entropy
from replearn_core.incremental.model import IncrementalNet, Learner, TaskData
from replearn_core.incremental.strategies import STRATEGIES
from replearn_core.incremental.strategies.lwf import old_groups
from replearn_core.incremental.strategies.replay import check_memory, class_balanced_indices
from replearn_core.incremental.tasks import split_classes


def test_masked_cross_entropy_ignores_the_inactive_units():
    logits = torch.tensor([[1.0, 2.0, 9.0, -1.0]])
    mask = torch.tensor([[True, True, False, False]])  # units 2 and 3 not met yet
    expected = -math.log(math.exp(1.0) / (math.exp(1.0) + math.exp(2.0)))
    assert masked_cross_entropy(logits, torch.tensor([0]), mask).item() == pytest.approx(expected, rel=1e-6)


def test_ewc_penalty_is_half_the_fisher_weighted_squared_distance_summed_over_tasks():
    params = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([0.5])}
    anchors = [({"w": torch.tensor([0.0, 2.0]), "b": torch.tensor([0.0])},
                {"w": torch.tensor([3.0, 100.0]), "b": torch.tensor([2.0])}),
               ({"w": torch.tensor([1.0, 1.0]), "b": torch.tensor([0.5])},
                {"w": torch.tensor([0.0, 4.0]), "b": torch.tensor([9.0])})]
    # task 1: 3·1² + 100·0² + 2·0.5² = 3.5; task 2: 0·0² + 4·1² + 9·0² = 4
    assert ewc_penalty(params, anchors).item() == pytest.approx(0.5 * (3.5 + 4.0))
    assert ewc_penalty(params, [(params, anchors[0][1])]).item() == 0.0  # at the anchor: no pull


def test_lwf_distillation_matches_the_kl_of_softened_outputs_per_old_head():
    torch.manual_seed(0)
    student, teacher = torch.randn(4, 6), torch.randn(4, 6)
    groups, T = [[0, 1], [2, 3]], 2.0

    def kl(units):
        p = torch.softmax(teacher[:, units] / T, 1)
        q = torch.softmax(student[:, units] / T, 1)
        return (p * (p.log() - q.log())).sum(1).mean() * T * T

    expected = (kl([0, 1]) + kl([2, 3])) / 2
    assert distillation(student, teacher, groups, T).item() == pytest.approx(expected.item(), rel=1e-5)
    assert distillation(teacher, teacher, groups, T).item() == pytest.approx(0.0, abs=1e-6)
    assert distillation(student, teacher, [], T).item() == 0.0


def test_the_fisher_of_a_linear_softmax_model_is_the_mean_squared_score():
    torch.manual_seed(1)
    model = nn.Linear(3, 2, bias=False)
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    fisher = fisher_diagonal(model, x, y, torch.ones(5, 2, dtype=torch.bool), chunk=2)
    p = torch.softmax(x @ model.weight.T, 1).detach()  # (N, 2)
    grads = (p - F.one_hot(y, 2).float())[:, :, None] * x[:, None, :]  # ∂(−log p_y)/∂W, (N, 2, 3)
    assert torch.allclose(fisher["weight"], grads.pow(2).mean(0), atol=1e-6)


def test_the_replay_memory_keeps_m_images_of_each_class():
    units = torch.tensor([0] * 30 + [1] * 7 + [2] * 50)
    idx = class_balanced_indices(units, 10, torch.Generator().manual_seed(0))
    counts = torch.bincount(units[idx], minlength=3).tolist()
    assert counts == [10, 7, 10]  # a class with fewer images gives all it has
    assert len(set(idx.tolist())) == len(idx)


def test_a_memory_larger_than_a_class_is_refused_with_a_clear_message():
    check_memory(20, {"0": 130, "1": 120})
    with pytest.raises(ValueError) as caught:
        check_memory(500, {"0": 130, "1": 120})
    assert "500 images per class is more than the training images of class 1 (120)" in str(caught.value)


class TinyBackbone(nn.Module):
    feature_dim = 4

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3 * 4 * 4, 4)

    def forward(self, x):
        return torch.tanh(self.linear(x.flatten(1)))


def learner(scenario: str, **config) -> Learner:
    torch.manual_seed(0)
    split = split_classes([str(d) for d in range(6)], 3)
    train = []
    for t in range(3):
        units = torch.tensor(split.task_classes(t) * 8)
        train.append(TaskData(torch.randint(0, 255, (16, 3, 4, 4), dtype=torch.uint8), units, split.task_of(units)))
    return Learner(IncrementalNet(TinyBackbone(), split.n_classes), split, scenario,
                   IncrementalConfig(**config), torch.device("cpu"), train, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("scenario", ["class", "task"])
def test_sequential_and_joint_losses_are_the_scenarios_cross_entropy(scenario):
    lrn = learner(scenario)
    batch = lrn.train[1]
    logits = lrn.logits(batch.images)
    active = [0, 1, 2, 3] if scenario == "class" else [2, 3]
    expected = F.cross_entropy(logits[:, active], batch.units - active[0])
    loss, _ = STRATEGIES["sequential"].loss(lrn, batch, 1)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert len(STRATEGIES["joint"].training_data(lrn, 2)) == 48  # every task so far
    assert len(STRATEGIES["sequential"].training_data(lrn, 2)) == 16


def test_replay_weights_the_new_task_and_the_memory_by_the_tasks_they_stand_for():
    lrn = learner("class", memory_per_class=3)
    replay = STRATEGIES["replay"]
    replay.end_task(lrn, 0)
    memory = lrn.state["memory"]
    assert torch.bincount(memory.units, minlength=6).tolist() == [3, 3, 0, 0, 0, 0]
    replay.end_task(lrn, 1)
    assert torch.bincount(lrn.state["memory"].units, minlength=6).tolist() == [3, 3, 3, 3, 0, 0]
    batch = lrn.train[2]
    g = lrn.generator.get_state()
    loss, logs = replay.loss(lrn, batch, 2)
    lrn.generator.set_state(g)
    idx = torch.randint(len(lrn.state["memory"]), (len(batch),), generator=lrn.generator)
    new = lrn.cross_entropy(batch, 2)
    old = lrn.cross_entropy(lrn.state["memory"].subset(idx), 2)
    assert loss.item() == pytest.approx((new / 3 + old * 2 / 3).item(), rel=1e-5)
    assert logs["replay_loss"].item() == pytest.approx(old.item(), rel=1e-5)


def test_lwf_adds_the_distillation_on_the_old_heads():
    lrn = learner("task", lwf_weight=2.0, lwf_temperature=2.0)
    lwf = STRATEGIES["lwf"]
    lwf.begin_task(lrn, 1)
    assert old_groups(lrn, 1) == [[0, 1]] and old_groups(lrn, 2) == [[0, 1], [2, 3]]
    batch = lrn.train[1]
    loss, logs = lwf.loss(lrn, batch, 1)
    assert logs["distillation"].item() == pytest.approx(0.0, abs=1e-6)  # the copy agrees with the model at first
    with torch.no_grad():
        lrn.net.head.weight[0] += 1.0  # the model drifts on the old head
    loss, logs = lwf.loss(lrn, batch, 1)
    teacher = lrn.logits(batch.images, lrn.state["teacher"])
    student = lrn.logits(batch.images)
    expected = lrn.cross_entropy(batch, 1) + 2.0 * distillation(student, teacher, [[0, 1]], 2.0)
    assert logs["distillation"].item() > 0 and loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert old_groups(learner("class"), 2) == [[0, 1, 2, 3]]  # one group: every old class


def test_ewc_penalises_moving_away_from_the_old_tasks_parameters():
    lrn = learner("task", ewc_lambda=10.0, fisher_images=8)
    ewc = STRATEGIES["ewc"]
    batch = lrn.train[1]
    ewc.end_task(lrn, 0)
    (anchor, fisher), = lrn.state["ewc"]
    assert set(fisher) == {n for n, _ in lrn.net.named_parameters()}
    assert all((f >= 0).all() for f in fisher.values()) and fisher["head.weight"][:2].sum() > 0
    assert fisher["head.weight"][2:].abs().sum() == 0  # task 2's units were masked out on task 1
    loss, _ = ewc.loss(lrn, batch, 1)
    assert loss.item() == pytest.approx(lrn.cross_entropy(batch, 1).item(), rel=1e-6)  # at the anchor
    with torch.no_grad():
        lrn.net.backbone.linear.weight += 0.1
    loss, logs = ewc.loss(lrn, batch, 1)
    params = dict(lrn.net.named_parameters())
    expected = lrn.cross_entropy(batch, 1) + 10.0 * ewc_penalty(params, [(anchor, fisher)])
    assert logs["ewc_penalty"].item() > 0 and loss.item() == pytest.approx(expected.item(), rel=1e-5)
