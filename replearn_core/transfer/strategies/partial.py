"""Partial fine-tuning: freeze the first k stages, fine-tune the rest."""

from replearn_core.options import setting
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.strategies.base import Strategy


class PartialFineTuning(Strategy):
    """**Partial fine-tuning (freeze the first k stages).** Early stages detect edges, colours and
    textures that transfer between almost any image tasks; late stages are specific to the source
    task (Yosinski et al. 2014, https://arxiv.org/abs/1411.1792). So keep stages 0…k−1 frozen and
    fine-tune stages k…S−1 and the head.

    Fewer trainable parameters than full fine-tuning (cheaper, less overfitting on small data),
    more adaptable than a linear probe. k = 0 is full fine-tuning; k = S is the linear probe."""

    key = "partial"
    title = "Partial fine-tuning (first k stages frozen)"
    options = (setting(TransferConfig, "freeze_stages", "partial: frozen stages k",
                       "The first k backbone stages stay frozen (small_cnn has 3, ResNets 5).", low=0, high=4, step=1),)

    def lowest_trainable(self, step, total_steps, num_stages, config):
        return min(int(config.freeze_stages), num_stages)
