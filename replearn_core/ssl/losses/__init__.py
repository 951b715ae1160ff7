"""Losses as pure functions, one per file, each documented with its paper, formula and shapes.

The pages show the same docstrings beside the curves. A method imports its loss from the loss's own module
(``from replearn_core.ssl.losses.vicreg import vicreg``), so a new loss needs no line here; the names below are
the older losses', kept for the code and tests that read them from the package.
"""

from replearn_core.ssl.losses.barlow_twins import barlow_twins
from replearn_core.ssl.losses.byol import byol
from replearn_core.ssl.losses.elbo import elbo, gaussian_kl
from replearn_core.ssl.losses.info_nce import info_nce
from replearn_core.ssl.losses.jigsaw import permutation_cross_entropy
from replearn_core.ssl.losses.masked_reconstruction import masked_reconstruction
from replearn_core.ssl.losses.negative_cosine import negative_cosine
from replearn_core.ssl.losses.nt_xent import nt_xent

__all__ = ["barlow_twins", "byol", "elbo", "gaussian_kl", "info_nce", "masked_reconstruction", "negative_cosine",
           "nt_xent", "permutation_cross_entropy"]
