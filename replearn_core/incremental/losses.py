"""The losses of incremental learning, as pure functions of tensors (the strategies combine them).

- :func:`masked_cross_entropy`: cross-entropy over the output units a scenario leaves active;
- :func:`distillation`: LwF's knowledge distillation on the old tasks' outputs (Li & Hoiem 2016);
- :func:`ewc_penalty`: EWC's Fisher-weighted quadratic penalty (Kirkpatrick et al. 2017).

>>> logits = torch.tensor([[2.0, 0.0, 5.0]]); mask = torch.tensor([[True, True, False]])
>>> round(masked_cross_entropy(logits, torch.tensor([0]), mask).item(), 4)   # unit 2 is out of play
0.1269
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_logits(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Logits (B, C) with the inactive units (mask False; (B, C) or (C,)) at -inf: they take no probability."""
    return logits.float().masked_fill(~mask.expand_as(logits), float("-inf"))


def masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of labels (B,) under a softmax over the active units only:

        L = −log( e^{z_y} / Σ_{c active} e^{z_c} )

    Class-incremental: the active units are every class seen so far; task-incremental: the units of the
    sample's own task (a head per task)."""
    return F.cross_entropy(masked_logits(logits, mask), labels)


def distillation(student: torch.Tensor, teacher: torch.Tensor, groups: list[list[int]],
                 temperature: float = 2.0) -> torch.Tensor:
    """LwF's distillation loss: for each group of old output units (one group of every old class in the
    class-incremental scenario, one per old task's head in the task-incremental one), the KL divergence from
    the old model's softened outputs to the new model's, times T² (so its gradients keep their size as T
    changes, Hinton et al. 2015), averaged over the groups:

        L_KD = T² · mean_g KL( softmax(z_old[g] / T) ‖ softmax(z[g] / T) )

    student, teacher: (B, C) logits of the current and the frozen old model on the same (new) images. Zero
    when the two agree on every old group."""
    if not groups:
        return student.new_zeros(())
    losses = []
    for units in groups:
        s = F.log_softmax(student[:, units].float() / temperature, dim=1)  # (B, |g|)
        t = F.log_softmax(teacher[:, units].float() / temperature, dim=1)
        losses.append(F.kl_div(s, t, log_target=True, reduction="batchmean") * temperature ** 2)
    return torch.stack(losses).mean()


def ewc_penalty(params: dict[str, torch.Tensor], anchors: list[tuple[dict, dict]]) -> torch.Tensor:
    """EWC's penalty over every earlier task k with its parameters θ*_k and diagonal Fisher F_k:

        Ω(θ) = ½ Σ_k Σ_i F_k,i (θ_i − θ*_k,i)²

    params: {name: tensor} of the model now; anchors: [(θ*_k, F_k)], both {name: tensor}. The run's loss adds
    λ · Ω(θ). Zero at θ = θ*_k, and a parameter with zero Fisher may move freely."""
    total = next(iter(params.values())).new_zeros((), dtype=torch.float32)
    for anchor, fisher in anchors:
        for name, value in params.items():
            if name in fisher:
                total = total + (fisher[name] * (value.float() - anchor[name]).pow(2)).sum()
    return 0.5 * total


def fisher_diagonal(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor, masks: torch.Tensor,
                    chunk: int = 64) -> dict[str, torch.Tensor]:
    """The empirical diagonal Fisher information of a task: the mean over its images of the squared gradient of
    each parameter's log-likelihood of the true label,

        F_i = 1/N Σ_n ( ∂ log p(y_n | x_n; θ) / ∂θ_i )²

    with one gradient per image (the square of a batch's gradient is not the mean of the squares), computed
    for ``chunk`` images at once (``torch.func``). ``inputs`` (N, ...) what ``model`` takes, ``masks`` (N, C)
    the units the scenario leaves active for each image. The model should be in eval mode (BatchNorm then
    treats each image on its own)."""
    from torch.func import functional_call, grad, vmap

    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    buffers = {n: b.detach() for n, b in model.named_buffers()}

    def loss_of_one(p, x, y, m):
        logits = functional_call(model, (p, buffers), (x[None],))  # (1, C)
        return masked_cross_entropy(logits, y[None], m[None])

    per_image = vmap(grad(loss_of_one), in_dims=(None, 0, 0, 0))
    fisher = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in params.items()}
    for i in range(0, len(inputs), chunk):
        grads = per_image(params, inputs[i:i + chunk], labels[i:i + chunk], masks[i:i + chunk])  # {n: (b, *shape)}
        for n, g in grads.items():
            fisher[n] += g.float().pow(2).sum(0)
    return {n: f / max(len(inputs), 1) for n, f in fisher.items()}
