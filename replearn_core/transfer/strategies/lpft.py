"""LP-FT: a linear probe first, then fine-tune everything."""

from replearn_core.options import setting
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.strategies.base import Strategy


class LinearProbeThenFineTune(Strategy):
    """**LP-FT (linear probe, then fine-tune).** Phase 1 trains only the head on the frozen encoder;
    phase 2 unfreezes everything and fine-tunes with the (by then smaller, cosine-decayed) learning
    rate.

    Fine-tuning with a random head sends large, noisy gradients into the pretrained features and
    distorts them; starting phase 2 from a good head keeps the features closer to the pretrained
    ones. Kumar et al. 2022 (*Fine-Tuning can Distort Pretrained Features and Underperform
    Out-of-Distribution*, https://arxiv.org/abs/2202.10054) found LP-FT better than both parts
    alone, especially out of distribution. ``probe_fraction`` sets the share of steps of phase 1."""

    key = "lpft"
    title = "LP-FT (linear probe, then fine-tune)"
    options = (setting(TransferConfig, "probe_fraction", "lpft: share of steps as a linear probe",
                       "Phase 1 trains only the head; phase 2 fine-tunes everything.", low=0.1, high=0.9, step=0.1),)

    def lowest_trainable(self, step, total_steps, num_stages, config):
        return num_stages if step < int(round(float(config.probe_fraction) * total_steps)) else 0
