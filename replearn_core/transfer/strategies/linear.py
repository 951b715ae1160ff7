"""Feature extraction: a frozen encoder and a trained linear head."""

from replearn_core.transfer.strategies.base import Strategy


class LinearProbe(Strategy):
    """**Feature extraction (linear probe).** The pretrained encoder is frozen; only a linear
    classifier on its features learns: logits = W·f(x) + b with W of shape (classes, D).

    Because f never changes, each image is encoded once and the head trains on the cached
    features: the cheapest strategy by far, and the least prone to overfitting a handful of
    labels. It can only be as good as the features are *linearly* separable, so it tends to
    lose to fine-tuning once labels are plentiful. A head on fixed features tolerates, and needs, a
    larger step: it learns at 10× the learning rate. (The linear evaluation protocol of SSL papers,
    e.g. SimCLR, Chen et al. 2020, https://arxiv.org/abs/2002.05709.)"""

    key = "linear"
    title = "Feature extraction (frozen encoder + linear head)"
    frozen_backbone = True
    head_lr_scale = 10.0

    def lowest_trainable(self, step, total_steps, num_stages, config):
        return num_stages  # no stage trains, only the head
