"""The gradient reversal layer of DANN, and the ramp of its coefficient.

- [0] Unsupervised Domain Adaptation by Backpropagation, Ganin & Lempitsky 2015,
  https://arxiv.org/abs/1409.7495

Forward it is the identity; backward it multiplies the gradient by -λ:

    R_λ(x) = x,     ∂R_λ/∂x = -λ I

Placed between the feature extractor and the domain classifier, one backward
pass trains the domain classifier to tell the domains apart and, at the same
time, the features to make that impossible. λ ramps from 0 to 1 as training
progresses (p from 0 to 1), so the noisy early domain signal does not swamp
the features:

    λ(p) = 2 / (1 + exp(-10 p)) - 1
"""

from __future__ import annotations

import math

import torch


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.coeff * grad_output, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Identity forward; the gradient flowing back is multiplied by -coeff."""
    return _GradientReversal.apply(x, float(coeff))


class GradientReversal(torch.nn.Module):
    """:func:`grad_reverse` as a module whose coefficient the training loop sets each step."""

    def __init__(self, coeff: float = 1.0):
        super().__init__()
        self.coeff = coeff

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.coeff)


def dann_coefficient(progress: float, gamma: float = 10.0) -> float:
    """λ(p) = 2 / (1 + exp(-γ p)) - 1 for training progress p in [0, 1]: 0 at the start, → 1 at the end."""
    p = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0


def domain_loss(source_f: torch.Tensor, target_f: torch.Tensor, discriminator: torch.nn.Module) -> torch.Tensor:
    """DANN's alignment loss: the domain classifier's binary cross-entropy, source 0 and target 1, on features
    that reach it through its gradient reversal layer (the classifier learns to tell, the encoder to hide)."""
    logits = discriminator(torch.cat([source_f, target_f]))  # (B_s + B_t,)
    domain = torch.cat([torch.zeros(len(source_f)), torch.ones(len(target_f))]).to(logits.device)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), domain)
