"""MAE: patches, masking, the ViT backbone it needs, and what it shows on the page."""

import pytest
import torch

from replearn_core.augment import plain
from replearn_core.backbones import build_backbone, sincos_positions
from replearn_core.data.shapes import make_shapes
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS, build_method
from replearn_core.ssl.methods.mae import patchify, random_masking, unpatchify


def test_patchify_orders_patches_row_by_row_and_unpatchify_inverts_it():
    x = torch.randn(2, 3, 8, 8)
    patches = patchify(x, 4)  # (2, 4, 48)
    assert patches.shape == (2, 4, 48)
    # patch 1 is the top-right 4×4 block, its first value pixel (0, 4) of channel 0
    assert torch.equal(patches[:, 1].reshape(2, 4, 4, 3)[..., 0], x[:, 0, :4, 4:])
    assert torch.equal(unpatchify(patches, 4), x)


def test_random_masking_hides_the_ratio_and_keeps_the_visible_indices():
    keep, mask = random_masking(5, 64, 0.75, torch.Generator().manual_seed(0), "cpu")
    assert keep.shape == (5, 16) and mask.shape == (5, 64)
    assert (mask.sum(1) == 48).all()
    assert (mask.gather(1, keep) == 0).all()  # the kept indices are exactly the visible ones
    assert all(len(set(row.tolist())) == 16 for row in keep)


def test_vit_backbone_gives_mean_token_features_at_any_image_size():
    vit = build_backbone("vit").eval()
    for size in (16, 20, 32):
        assert vit(torch.randn(2, 3, size, size)).shape == (2, vit.feature_dim)
    assert len(vit.stages) >= 3  # patch embedding and block groups, for layer-wise transfer
    codes = sincos_positions(4, 8)
    assert codes.shape == (16, 8) and len({tuple(c.tolist()) for c in codes}) == 16  # one code per position


def test_mae_refuses_a_cnn_backbone_with_a_clear_message():
    with pytest.raises(ValueError, match="vit"):
        TrainConfig(method="mae", backbone="cnn4").validate(METHODS)
    with pytest.raises(ValueError, match="Vision Transformer"):
        build_method(TrainConfig(method="mae", backbone="cnn4"))


def test_masked_patches_only_drive_the_loss():
    """Change the pixels of the visible patches of the target: the loss does not move."""
    torch.manual_seed(0)
    method = build_method(TrainConfig(method="mae", backbone="vit", image_size=16)).eval()
    x = plain(make_shapes(4, 16, seed=0).images)
    prediction, mask = method.forward_masked(x, torch.Generator().manual_seed(1))
    from replearn_core.ssl.losses import masked_reconstruction
    target = patchify(x, 4)
    changed = torch.where(mask[..., None].bool(), target, target + 5.0)
    assert masked_reconstruction(prediction, changed, mask).item() == pytest.approx(
        masked_reconstruction(prediction, target, mask).item(), rel=1e-6)


@pytest.mark.parametrize("normalize_target", [False, True])
def test_reconstruct_rows_keep_the_visible_patches(normalize_target):
    torch.manual_seed(0)
    method = build_method(TrainConfig(method="mae", backbone="vit", image_size=16,
                                      options={"normalize_target": normalize_target})).eval()
    x = plain(make_shapes(3, 16, seed=0).images)
    rows = method.reconstruct(x, torch.Generator().manual_seed(2))
    assert list(rows) == ["masked input", "reconstruction", "original"]
    assert all(r.shape == (3, 3, 16, 16) and 0 <= r.min() and r.max() <= 1 for r in rows.values())
    # where the input shows a patch, the reconstruction shows the same pixels
    visible = patchify(rows["masked input"], 4) != 0.5
    same = patchify(rows["reconstruction"], 4) == patchify(rows["original"], 4)
    assert same[visible].all()


@pytest.mark.parametrize("name", ["simclr", "rotation"])
def test_other_methods_train_the_vit_too(name):
    from tests.ssl.methods.test_methods import IMAGE_SIZE, STEPS

    torch.manual_seed(0)
    method = build_method(TrainConfig(method=name, backbone="vit", image_size=IMAGE_SIZE)).train()
    images = make_shapes(32, IMAGE_SIZE, seed=0).images
    optimizer = torch.optim.AdamW(method.parameters(), lr=2e-3)
    losses = []
    for _ in range(STEPS):
        loss, _ = method.training_loss(images, torch.Generator().manual_seed(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) < sum(losses[:3])
