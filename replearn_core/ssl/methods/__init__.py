"""The self-supervised methods, one file each; ``METHODS`` finds them by name.

Adding a method is one new file with an :class:`SSLMethod` subclass and one line here.
"""

from replearn_core.ssl.methods.autoencoder import DenoisingAutoencoder
from replearn_core.ssl.methods.barlow_twins import BarlowTwins
from replearn_core.ssl.methods.base import SSLMethod
from replearn_core.ssl.methods.byol import BYOL
from replearn_core.ssl.methods.jigsaw import Jigsaw
from replearn_core.ssl.methods.mae import MaskedAutoencoder
from replearn_core.ssl.methods.moco import MoCo
from replearn_core.ssl.methods.rotation import RotationPrediction
from replearn_core.ssl.methods.simclr import SimCLR
from replearn_core.ssl.methods.simsiam import SimSiam
from replearn_core.ssl.methods.vae import VariationalAutoencoder

METHODS: dict[str, type[SSLMethod]] = {
    "simclr": SimCLR,
    "moco": MoCo,
    "byol": BYOL,
    "simsiam": SimSiam,
    "barlow_twins": BarlowTwins,
    "rotation": RotationPrediction,
    "autoencoder": DenoisingAutoencoder,
    "mae": MaskedAutoencoder,
    "vae": VariationalAutoencoder,
    "jigsaw": Jigsaw,
}


def build_method(config, backbone=None) -> SSLMethod:
    """The method named in the config, around a fresh backbone (or the one given)."""
    from replearn_core.backbones import build_backbone

    if config.method not in METHODS:
        raise ValueError(f"unknown method {config.method!r}; known: {', '.join(METHODS)}")
    return METHODS[config.method](backbone or build_backbone(config.backbone), config)


__all__ = ["METHODS", "SSLMethod", "build_method"]
