"""The task split: classes into tasks in a chosen order, and the refusals."""

import pytest
import torch

from replearn_core.incremental.tasks import TaskSplitError, class_order, split_classes

DIGITS = [str(d) for d in range(10)]


def test_digits_in_five_tasks_of_two_in_the_datasets_order():
    split = split_classes(DIGITS, 5)
    assert split.describe() == [["0", "1"], ["2", "3"], ["4", "5"], ["6", "7"], ["8", "9"]]
    assert split.task_classes(2) == [4, 5]
    assert split.seen_classes(2) == [0, 1, 2, 3, 4, 5]
    labels = torch.tensor([9, 0, 3, 4])
    units = split.positions(labels)
    assert units.tolist() == [9, 0, 3, 4]
    assert split.task_of(units).tolist() == [4, 0, 1, 2]


def test_a_chosen_order_renumbers_the_outputs_and_may_leave_classes_out():
    split = split_classes(DIGITS, 2, order="7,3,1,8")
    assert split.describe() == [["7", "3"], ["1", "8"]]
    assert split.n_classes == 4
    assert split.positions(torch.tensor([7, 3, 1, 8, 0])).tolist() == [0, 1, 2, 3, -1]


def test_uneven_splits_are_as_even_as_possible_and_random_orders_follow_the_seed():
    assert split_classes(DIGITS, 3).sizes == (4, 3, 3)
    a, b = class_order(DIGITS, "random", seed=1), class_order(DIGITS, "random", seed=1)
    assert a == b and sorted(a) == list(range(10)) and a != list(range(10))
    assert class_order(DIGITS, "random", seed=2) != a


def test_fewer_classes_than_tasks_is_refused_with_a_clear_message():
    with pytest.raises(TaskSplitError) as caught:
        split_classes(["cat", "dog", "car"], 5, dataset="folder:/pets")
    text = str(caught.value)
    assert "3 class(es), fewer than the 5 tasks" in text and "folder:/pets" in text


def test_an_unknown_or_repeated_class_in_the_order_is_refused():
    with pytest.raises(TaskSplitError, match="unknown class 'x'|unknown class x"):
        split_classes(DIGITS, 2, order="1,x")
    with pytest.raises(TaskSplitError, match="twice"):
        split_classes(DIGITS, 2, order="1,2,1,3")
