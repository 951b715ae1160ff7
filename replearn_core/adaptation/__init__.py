"""Domain adaptation: train on a labelled source domain, do well on an unlabelled target domain.

:data:`ADAPT_METHODS` lists the methods with their teaching text. A run is job kind ``"adapt"``
(:func:`replearn_core.adaptation.job.run_adapt`); ``python -m replearn_core adapt`` runs one in the
foreground. Target labels are used for evaluation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from replearn_core.adaptation.coral import coral_loss
from replearn_core.adaptation.grl import domain_loss
from replearn_core.adaptation.mmd import mk_mmd
from replearn_core.cards import Card
from replearn_core.options import Option


@dataclass(frozen=True)
class AdaptMethod:
    """A domain-adaptation method: its card for the page and what it adds to the source classification loss.

    Adding a method is a loss function and one entry here: the job, the page and the command read the rest.
    """
    name: str
    title: str
    paper: str
    summary: str
    formula: str
    weight: float = 1.0  # default weight w of the alignment loss (measured, docs/domain_adaptation.md)
    # alignment(source_features, target_features, discriminator) -> loss; None = no alignment (the control)
    alignment: Callable | None = None
    adversarial: bool = False  # trains a domain classifier behind a gradient reversal layer (passed as discriminator)

    def card(self) -> Card:
        """Its card for the page: name, summary, loss formula, paper, its alignment weight."""
        return Card(f"adapt_method.{self.name}", self.title, self.summary, self.formula, self.paper,
                    options=self.options)

    @property
    def options(self) -> tuple[Option, ...]:
        """The method's own settings for the page and the command line: the alignment weight w (the run's
        ``trade_off``), defaulting to this method's measured weight; none for the control."""
        if self.alignment is None:
            return ()
        return (Option("trade_off", self.weight, "Alignment weight w",
                       "Weight of the alignment loss (DANN's domain loss, CORAL, MMD) next to the source "
                       "classification loss; the default is this method's measured one (CORAL's loss is about 30× "
                       "smaller than the others').", 0.0, 100.0),)


ADAPT_METHODS: dict[str, AdaptMethod] = {
    "source_only": AdaptMethod(
        "source_only", "Source only (control)", "",
        "Train the classifier on labelled source images and apply it to the target as is. "
        "Every adaptation method must beat this.",
        r"\mathcal{L} = \mathcal{L}_{CE}(\text{source})"),
    "dann": AdaptMethod(
        "dann", "DANN (gradient reversal)", "Ganin & Lempitsky 2015",
        "A domain classifier learns to tell source from target features; a gradient reversal layer makes "
        "the encoder learn the opposite, so its features stop revealing the domain. The reversal's "
        "coefficient ramps from 0 to 1.",
        r"\mathcal{L} = \mathcal{L}_{CE} + w\,\mathcal{L}_{dom}\big(D(R_{\lambda(p)}(f))\big),\ "
        r"\lambda(p) = \tfrac{2}{1+e^{-10p}} - 1", alignment=domain_loss, adversarial=True),
    "coral": AdaptMethod(
        "coral", "Deep CORAL", "Sun & Saenko 2016",
        "Match the covariance of source and target features in each batch: a closed-form, "
        "second-order alignment with no extra network. Its loss is small (divided by 4d²), hence a default "
        "weight of 30.",
        r"\mathcal{L} = \mathcal{L}_{CE} + w\,\lambda(p)\,\frac{\|C_S - C_T\|_F^2}{4d^2}", weight=30.0,
        alignment=lambda source_f, target_f, _: coral_loss(source_f, target_f)),
    "mmd": AdaptMethod(
        "mmd", "Multi-kernel MMD (DAN)", "Long et al. 2015",
        "Minimise the maximum mean discrepancy between source and target features under a sum of Gaussian "
        "kernels at several bandwidths: it matches all moments of the two distributions, not only two.",
        r"\mathcal{L} = \mathcal{L}_{CE} + w\,\lambda(p)\,\Big(\overline{k(x,x')} + \overline{k(y,y')} - 2\,\overline{k(x,y)}\Big)",
        alignment=lambda source_f, target_f, _: mk_mmd(source_f, target_f)),
}

__all__ = ["ADAPT_METHODS", "AdaptMethod"]
