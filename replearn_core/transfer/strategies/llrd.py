"""Layer-wise learning-rate decay: lower stages learn more slowly."""

from replearn_core.options import setting
from replearn_core.transfer.config import TransferConfig
from replearn_core.transfer.strategies.base import Strategy


def layer_decay_scales(num_stages: int, decay: float) -> list[float]:
    """Learning-rate factor of each stage, input first: stage i of S gets decay^(S − i).

    The head (depth 0 from the top) keeps factor 1, the top stage decay, the next decay², …
    >>> layer_decay_scales(3, 0.5)
    [0.125, 0.25, 0.5]
    """
    return [decay ** (num_stages - i) for i in range(num_stages)]


class LayerwiseLRDecay(Strategy):
    """**Layer-wise learning-rate decay (LLRD).** Everything trains, but each stage deeper from the
    top learns more slowly: lr_i = lr · γ^(depth from the top), so with S stages and γ = 0.5 the
    head gets lr, the top stage lr/2, the bottom stage lr/2^S. The factor multiplies the learning
    rate of the stage's optimizer group at every step, so it holds through warm-up and cosine decay.

    General features near the input are barely disturbed while the task-specific top adapts
    quickly: a soft version of freezing (ULMFiT's discriminative fine-tuning, Howard & Ruder 2018,
    https://arxiv.org/abs/1801.06146; the standard recipe for fine-tuning BEiT/ViT and ELECTRA)."""

    key = "llrd"
    title = "Layer-wise learning-rate decay"
    options = (setting(TransferConfig, "lr_decay", "llrd: decay γ",
                       "Each stage deeper from the top multiplies the learning rate by γ.", low=0.05, high=1.0,
                       step=0.05),)

    def lr_scales(self, num_stages, config):
        return layer_decay_scales(num_stages, float(config.lr_decay))
