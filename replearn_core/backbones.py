"""Encoders that turn an image batch into a feature vector per image.

Each backbone is an ``nn.Module`` mapping (B, 3, H, W) to (B, feature_dim) and
exposes ``feature_dim`` and ``stages`` (its blocks from input to output, used by
the transfer strategies to freeze or unfreeze layer by layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


class SmallCNN(nn.Module):
    """The seed articles' small 3-layer CNN: three conv-BN-ReLU-pool stages and a global pool."""

    def __init__(self, width: int = 32):
        super().__init__()

        def stage(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                 nn.ReLU(inplace=True), nn.MaxPool2d(2))

        self.stages = nn.ModuleList([stage(3, width), stage(width, 2 * width), stage(2 * width, 4 * width)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)  # (B, C, H/2, W/2) each
        return self.pool(x).flatten(1)  # (B, feature_dim)


class StridedCNN(nn.Module):
    """Four conv-BN-ReLU stages, three of them strided: the lab's default encoder on 32-pixel images.

    Strided convolutions instead of max-pooling keep the large early feature maps small (5× the
    training images per second of ``small_cnn`` on a CPU, bench/throughput.py), and the fourth stage
    lets one output unit see the whole image (receptive field 31 px), which is what telling shapes
    apart needs: with the same 40 s of SimCLR on ``shapes`` it reached kNN 0.45 where the
    three-stage version reached 0.37 (docs/ssl_tests_benchmarks.md).
    """

    def __init__(self, width: int = 64):
        super().__init__()

        def stage(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.stages = nn.ModuleList([stage(3, width, 2), stage(width, 2 * width, 2),
                                     stage(2 * width, 2 * width, 1), stage(2 * width, 4 * width, 2)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)  # (B, C, H/2, W/2) for the strided stages
        return self.pool(x).flatten(1)  # (B, feature_dim)


class ResNetEncoder(nn.Module):
    """A torchvision ResNet-18 without its classifier, optionally with the CIFAR stem.

    The CIFAR stem (3×3 conv, stride 1, no max-pool) keeps 32×32 inputs from
    shrinking to 1×1 too early; torchvision's stem (7×7, stride 2, max-pool) is
    the one ImageNet weights were trained with.
    """

    def __init__(self, cifar_stem: bool = True, weights=None):
        super().__init__()
        import torchvision

        net = torchvision.models.resnet18(weights=weights)
        if cifar_stem:
            net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            net.maxpool = nn.Identity()
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.stages = nn.ModuleList([self.stem, net.layer1, net.layer2, net.layer3, net.layer4])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = 512

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return self.pool(x).flatten(1)  # (B, 512)


def sincos_positions(grid: int, dim: int) -> torch.Tensor:
    """(grid·grid, dim) fixed 2-D sine-cosine position codes (Vaswani et al. 2017; MAE's choice): half the
    channels code the row, half the column. Fixed, so one network takes any image size."""
    if dim % 4:
        raise ValueError(f"position codes need a width divisible by 4, got {dim}")
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float32) / (dim // 4))  # (dim/4,)
    coords = torch.arange(grid, dtype=torch.float32)
    rows, cols = torch.meshgrid(coords, coords, indexing="ij")  # (grid, grid) each

    def code(pos):
        angles = pos.flatten()[:, None] * omega[None]  # (grid², dim/4)
        return torch.cat([angles.sin(), angles.cos()], dim=1)  # (grid², dim/2)

    return torch.cat([code(rows), code(cols)], dim=1)  # (grid², dim)


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, D) -> (B, T, D)
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    """A small ViT (Dosovitskiy et al. 2021) for 32-pixel images: 4×4 patches, fixed sine-cosine positions,
    no class token; the image's feature is the mean of its output tokens.

    ``stages`` (for layer-wise transfer) are the patch embedding, then the blocks in ``depth // 2`` pairs; the
    final LayerNorm belongs to the last pair. MAE calls ``embed`` and ``encode_tokens`` to run the blocks on
    the visible patches only.
    """

    def __init__(self, width: int = 128, depth: int = 4, heads: int = 4, patch: int = 4, mlp_ratio: float = 4.0):
        super().__init__()
        self.patch = patch
        self.width = width
        blocks = [TransformerBlock(width, heads, mlp_ratio) for _ in range(depth)]
        pairs = [nn.Sequential(*blocks[i:i + 2]) for i in range(0, depth, 2)]
        pairs[-1].append(nn.LayerNorm(width))
        # the patch embedding lives in stages only: a second reference would store its weights twice
        self.stages = nn.ModuleList([nn.Conv2d(3, width, patch, stride=patch), *pairs])
        self.feature_dim = width

    @property
    def patch_embed(self) -> nn.Conv2d:
        return self.stages[0]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, T, D) patch tokens with their positions, T = (H / patch)²."""
        tokens = self.patch_embed(x)  # (B, D, H/p, W/p)
        grid = tokens.shape[-1]
        tokens = tokens.flatten(2).transpose(1, 2)  # (B, T, D)
        return tokens + sincos_positions(grid, self.width).to(tokens.device, tokens.dtype)

    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T, D) through every block and the final LayerNorm."""
        for stage in self.stages[1:]:
            tokens = stage(tokens)
        return tokens

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_tokens(self.embed(x)).mean(1)  # (B, D): the mean token


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    description: str
    build: Callable[[], nn.Module]


BACKBONES: dict[str, BackboneInfo] = {
    "cnn4": BackboneInfo("cnn4", "4-stage strided CNN (0.52 M parameters, 256-d features): the lab's default, "
                         "fast on a CPU and sees the whole 32-pixel image.", lambda: StridedCNN()),
    "small_cnn": BackboneInfo("small_cnn", "3-layer CNN of the seed articles (93 k parameters, 128-d features); "
                              "fast on a laptop CPU.", lambda: SmallCNN()),
    "resnet18_cifar": BackboneInfo("resnet18_cifar", "ResNet-18 with the CIFAR stem (11 M parameters, 512-d); "
                                   "slow on a CPU, the usual choice on a GPU.",
                                   lambda: ResNetEncoder(cifar_stem=True)),
    "resnet18": BackboneInfo("resnet18", "torchvision's ResNet-18 with the ImageNet stem (11 M parameters, "
                             "512-d); can start from ImageNet weights in transfer.",
                             lambda: ResNetEncoder(cifar_stem=False)),
    "vit": BackboneInfo("vit", "small Vision Transformer (4-pixel patches, 4 blocks, width 128; 0.8 M parameters, "
                        "128-d mean token): MAE's encoder; usable by every method, several times slower than cnn4 "
                        "on a CPU.",
                        lambda: VisionTransformer()),
}


def build_backbone(name: str) -> nn.Module:
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}")
    return BACKBONES[name].build()


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
