"""Sequential fine-tuning: the naive baseline that forgets."""

from replearn_core.incremental.strategies.base import Strategy


class Sequential(Strategy):
    """**Sequential fine-tuning.** Train on each new task's images alone, starting from the model the last
    task left. Nothing protects the old tasks: in the class-incremental scenario the model ends up predicting
    only the last task's classes (catastrophic forgetting, McCloskey & Cohen 1989). The lower bound every
    strategy must beat."""

    key = "sequential"
    title = "Sequential fine-tuning (baseline)"
    paper = "McCloskey & Cohen 1989; van de Ven & Tolias 2019"
    formula = r"\mathcal{L}_t = \mathcal{L}_{CE}(D_t)"
