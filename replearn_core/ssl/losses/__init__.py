"""Losses as pure functions, one per file, each documented with its paper, formula and shapes.

The pages show the same docstrings beside the curves.
"""

from replearn_core.ssl.losses.barlow_twins import barlow_twins
from replearn_core.ssl.losses.byol import byol
from replearn_core.ssl.losses.info_nce import info_nce
from replearn_core.ssl.losses.negative_cosine import negative_cosine
from replearn_core.ssl.losses.nt_xent import nt_xent

__all__ = ["barlow_twins", "byol", "info_nce", "negative_cosine", "nt_xent"]
