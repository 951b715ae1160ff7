"""The card every trainable thing declares, whatever its registry: a self-supervised method, a metric-learning
loss, a domain-adaptation method, a transfer strategy.

Each registry entry gives its :class:`Card` (``METHODS[m].card()``, ``METRIC_METHODS[m].card()``,
``ADAPT_METHODS[m].card()``, ``STRATEGIES[k].card()``): the page draws it with one panel
(``ui.panels.method_card``), translated through the catalogue keys under ``card.key``.
"""

from __future__ import annotations

from dataclasses import dataclass

from replearn_core.options import Option


@dataclass(frozen=True)
class Card:
    key: str  # its catalogue prefix ("method.simclr", "metric_method.triplet", ...): <key>.title, .summary, .paper
    title: str  # its name on the page
    summary: str  # what it does, in two or three sentences (Markdown)
    formula: str = ""  # LaTeX of its loss ("" when it has none of its own)
    paper: str = ""  # where it comes from
    loss_doc: str = ""  # the docstring of its loss function: symbols, shapes, invariances
    options: tuple[Option, ...] = ()  # its own typed settings (replearn_core.options)

    @property
    def name(self) -> str:
        """Its key in its registry."""
        return self.key.split(".", 1)[1]
