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
}


def build_backbone(name: str) -> nn.Module:
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}")
    return BACKBONES[name].build()


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
