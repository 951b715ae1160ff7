import pytest
import torch

from replearn_core.ssl.losses import masked_reconstruction


def loop_reference(prediction, target, mask, normalize_target):
    """The loss patch by patch in plain Python: masked patches only, each patch's mean squared error."""
    errors = []
    for b in range(prediction.shape[0]):
        for t in range(prediction.shape[1]):
            if mask[b, t] == 1:
                goal = target[b, t]
                if normalize_target:
                    goal = (goal - goal.mean()) / (goal.var(unbiased=False) + 1e-6).sqrt()
                errors.append(((prediction[b, t] - goal) ** 2).mean().item())
    return sum(errors) / len(errors)


@pytest.mark.parametrize("normalize_target", [False, True])
def test_matches_a_patch_by_patch_computation(normalize_target):
    g = torch.Generator().manual_seed(0)
    prediction, target = torch.randn(3, 16, 48, generator=g), torch.randn(3, 16, 48, generator=g)
    mask = (torch.rand(3, 16, generator=g) < 0.75).float()
    got = masked_reconstruction(prediction, target, mask, normalize_target).item()
    assert got == pytest.approx(loop_reference(prediction, target, mask, normalize_target), rel=1e-5)


def test_visible_patches_do_not_count():
    g = torch.Generator().manual_seed(1)
    target = torch.randn(2, 8, 12, generator=g)
    mask = torch.zeros(2, 8)
    mask[:, :4] = 1  # the first four patches hidden
    prediction = target.clone()
    prediction[:, 4:] += 100.0  # wildly wrong, but only where the encoder saw the patch
    assert masked_reconstruction(prediction, target, mask).item() == pytest.approx(0.0, abs=1e-10)
    prediction = target.clone().requires_grad_(True)
    masked_reconstruction(prediction + 1.0, target, mask).backward()
    assert prediction.grad[:, 4:].abs().sum() == 0 and prediction.grad[:, :4].abs().sum() > 0


def test_normalised_targets_ignore_each_patchs_brightness_and_contrast():
    g = torch.Generator().manual_seed(2)
    prediction, target = torch.randn(2, 8, 12, generator=g), torch.randn(2, 8, 12, generator=g)
    mask = torch.ones(2, 8)
    rescaled = 3.0 * target + 5.0
    assert masked_reconstruction(prediction, rescaled, mask, True).item() == pytest.approx(
        masked_reconstruction(prediction, target, mask, True).item(), rel=1e-4)


def test_shape_errors_raise_value_error():
    with pytest.raises(ValueError):
        masked_reconstruction(torch.randn(2, 8, 12), torch.randn(2, 8, 12), torch.ones(2, 7))
