"""What the accuracy matrix says: average accuracy, forgetting and backward transfer.

``matrix[t][j]`` is the test accuracy on task j after training on task t (row t has t + 1 entries, or None
beyond them). With T tasks:

- average accuracy after task t (Lopez-Paz & Ranzato 2017, "ACC")::

      A_t = 1/(t+1) · Σ_{j ≤ t} R[t][j]

- forgetting of task j < T-1 (Chaudhry et al. 2018): its best accuracy before the last task minus its final one::

      f_j = max_{j ≤ t < T-1} R[t][j] − R[T-1][j]

- backward transfer (Lopez-Paz & Ranzato 2017): how training on later tasks changed the earlier ones, on
  average; negative when they were forgotten::

      BWT = 1/(T-1) · Σ_{j < T-1} (R[T-1][j] − R[j][j])

>>> m = [[0.99], [0.50, 0.98], [0.40, 0.60, 0.97]]
>>> round(average_accuracy(m), 3), [round(f, 2) for f in forgetting(m)[:2]], round(backward_transfer(m), 3)
(0.657, [0.59, 0.38], -0.485)
"""

from __future__ import annotations


def _cell(matrix: list[list], t: int, j: int) -> float | None:
    row = matrix[t] if t < len(matrix) else []
    return row[j] if j < len(row) else None


def average_accuracy(matrix: list[list], after: int | None = None) -> float | None:
    """A_t: the mean accuracy over the tasks seen after task ``after`` (default: the last row)."""
    if not matrix:
        return None
    t = len(matrix) - 1 if after is None else after
    cells = [_cell(matrix, t, j) for j in range(t + 1)]
    cells = [c for c in cells if c is not None]
    return sum(cells) / len(cells) if cells else None


def average_curve(matrix: list[list]) -> list[float | None]:
    """A_t for every row so far: the average-accuracy curve over tasks."""
    return [average_accuracy(matrix, t) for t in range(len(matrix))]


def forgetting(matrix: list[list]) -> list[float | None]:
    """f_j for every task: best accuracy before the last row minus the last row's; None for the last task (and
    for a task without a cell in the last row)."""
    last = len(matrix) - 1
    out = []
    for j in range(len(matrix)):
        final = _cell(matrix, last, j)
        earlier = [_cell(matrix, t, j) for t in range(j, last)]
        earlier = [c for c in earlier if c is not None]
        out.append(max(earlier) - final if earlier and final is not None else None)
    return out


def mean_forgetting(matrix: list[list]) -> float | None:
    values = [f for f in forgetting(matrix) if f is not None]
    return sum(values) / len(values) if values else None


def backward_transfer(matrix: list[list]) -> float | None:
    """BWT over the tasks before the last; None with fewer than two rows."""
    last = len(matrix) - 1
    diffs = [_cell(matrix, last, j) - _cell(matrix, j, j) for j in range(last)
             if _cell(matrix, last, j) is not None and _cell(matrix, j, j) is not None]
    return sum(diffs) / len(diffs) if diffs else None


def summarise(matrix: list[list]) -> dict:
    """Every number of a finished (or partial) matrix, rounded for the run's summary."""
    def r(v):
        return None if v is None else round(v, 4)

    return {"matrix": [[r(c) for c in row] for row in matrix], "average_accuracy": r(average_accuracy(matrix)),
            "average_curve": [r(v) for v in average_curve(matrix)],
            "forgetting": [r(v) for v in forgetting(matrix)], "mean_forgetting": r(mean_forgetting(matrix)),
            "bwt": r(backward_transfer(matrix))}
