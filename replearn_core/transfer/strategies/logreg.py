"""Feature extraction with scikit-learn's logistic regression on cached features."""

from replearn_core.transfer.strategies.base import Strategy


class LogisticRegressionProbe(Strategy):
    """**Logistic regression on cached features.** Encode every labelled image once with the frozen
    encoder, standardise the features, and fit scikit-learn's L2-regularised multinomial logistic
    regression: minimise Σ CE(softmax(W·f(x) + b), y) + ||W||² / (2C).

    The same model as the linear probe, but solved to convergence by L-BFGS instead of a few SGD
    epochs: no learning rate, no epochs, no augmentation. It is the classic "features + linear
    classifier" baseline (Kornblith et al. 2019, *Do Better ImageNet Models Transfer Better?*,
    https://arxiv.org/abs/1805.08974) and usually the fastest row of the table."""

    key = "logreg"
    title = "Logistic regression on cached features"
    frozen_backbone = True

    def lowest_trainable(self, step, total_steps, num_stages, config):
        return num_stages
