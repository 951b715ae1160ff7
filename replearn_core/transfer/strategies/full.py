"""Full fine-tuning: every weight of the encoder trains with the head."""

from replearn_core.transfer.strategies.base import Strategy


class FullFineTuning(Strategy):
    """**Full fine-tuning.** Start from the pretrained weights and train all of them, plus a new
    linear head, on the target labels with one learning rate.

    The most flexible strategy: every layer can adapt to the target, so it usually wins when
    labels are plentiful. With very few labels it has the most freedom to overfit and to forget
    what pretraining taught (Yosinski et al. 2014, *How transferable are features in deep neural
    networks?*, https://arxiv.org/abs/1411.1792), and it costs a backward pass through the whole
    network at every step."""

    key = "full"
    title = "Full fine-tuning"
