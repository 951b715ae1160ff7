"""Transfer learning: start from a pretrained encoder and compare fine-tuning strategies side by side.

- :mod:`.strategies`: one file per strategy (linear probe, logistic regression, full, partial,
  layer-wise learning-rate decay, gradual unfreezing, LP-FT, and the from-scratch control).
- :mod:`.encoders`: where the encoder comes from (a run, random, ImageNet, an uploaded file).
- :mod:`.finetune`: the shared training loop; :mod:`.subsets`: seeded per-class label fractions.
- :mod:`.job`: the comparison job (kind "transfer"); :mod:`.supervised`: a supervised source
  encoder (kind "supervised"); :mod:`.recommend`: which strategy won, and why.
"""

from replearn_core.transfer.config import SupervisedConfig, TransferConfig
from replearn_core.transfer.recommend import recommend
from replearn_core.transfer.strategies import STRATEGIES

__all__ = ["STRATEGIES", "SupervisedConfig", "TransferConfig", "recommend"]
