"""Joint training on every task so far: the upper bound."""

from replearn_core.incremental.model import TaskData
from replearn_core.incremental.strategies.base import Strategy


class Joint(Strategy):
    """**Joint training (upper bound).** At each task, train on the images of every task met so far, as if
    nothing had to be forgotten: what an incremental learner would reach if it could keep all its data. Not
    incremental learning, but the ceiling the other strategies are measured against."""

    key = "joint"
    title = "Joint training (upper bound)"
    paper = "van de Ven & Tolias 2019 (the upper bound of every scenario)"
    formula = r"\mathcal{L}_t = \mathcal{L}_{CE}(D_1 \cup \dots \cup D_t)"

    def training_data(self, learner, task: int) -> TaskData:
        return TaskData.concat(learner.train[:task + 1])
