"""The control: the same network trained from a random initialisation."""

from replearn_core.transfer.strategies.base import Strategy


class TrainFromScratch(Strategy):
    """**From scratch (the control).** Full fine-tuning, but starting from random weights instead of
    the pretrained encoder. The gap between a strategy and this row is what transfer bought: the
    claim to check is that the gap is largest when labels are few."""

    key = "scratch"
    title = "From scratch (random initialisation, the control)"
    pretrained = False
