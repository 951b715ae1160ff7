"""The accuracy matrix's numbers: average accuracy, forgetting (best − final) and backward transfer."""

import pytest

from replearn_core.incremental.metrics import (average_accuracy, average_curve, backward_transfer, forgetting,
                                               mean_forgetting, summarise)

# three tasks; task 1 is learnt (0.9), then forgotten down to 0.3 after a rise to 0.95
MATRIX = [[0.90],
          [0.95, 0.80],
          [0.30, 0.70, 0.99]]


def test_average_accuracy_is_the_mean_over_the_tasks_seen():
    assert average_accuracy(MATRIX) == pytest.approx((0.30 + 0.70 + 0.99) / 3)
    assert average_curve(MATRIX) == pytest.approx([0.90, 0.875, (0.30 + 0.70 + 0.99) / 3])


def test_forgetting_is_the_best_accuracy_before_the_last_task_minus_the_final_one():
    f = forgetting(MATRIX)
    assert f[0] == pytest.approx(0.95 - 0.30)  # the best, not the first, accuracy of task 1
    assert f[1] == pytest.approx(0.80 - 0.70)
    assert f[2] is None  # the last task has had no chance to be forgotten
    assert mean_forgetting(MATRIX) == pytest.approx((0.65 + 0.10) / 2)


def test_backward_transfer_compares_the_final_row_with_the_diagonal():
    assert backward_transfer(MATRIX) == pytest.approx(((0.30 - 0.90) + (0.70 - 0.80)) / 2)
    no_forgetting = [[0.9], [0.9, 0.9], [0.95, 0.9, 0.9]]
    assert backward_transfer(no_forgetting) == pytest.approx(0.025)  # positive: later tasks helped task 1
    assert max(forgetting(no_forgetting)[:2]) == pytest.approx(0.0)


def test_a_partial_matrix_summarises_what_is_there():
    s = summarise(MATRIX[:1])
    assert s["average_accuracy"] == 0.9 and s["bwt"] is None and s["forgetting"] == [None]
    assert summarise([])["average_accuracy"] is None
