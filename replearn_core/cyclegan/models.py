"""The CycleGAN networks: a ResNet generator and the 70×70 PatchGAN discriminator.

- [0] CycleGAN, Zhu et al., 2017, https://arxiv.org/abs/1703.10593 (appendix 7.2)
- [1] Johnson et al., Perceptual Losses, 2016 (the generator design)
- [2] pix2pix, Isola et al., 2017 (the PatchGAN discriminator)

Generator ``c7s1-ngf, d2ngf, d4ngf, R4ngf × n_blocks, u2ngf, ungf, c7s1-3``:
reflection padding keeps borders free of artefacts, instance normalisation
normalises each image on its own (style transfer's trick), and the tanh output is
an image in [-1, 1] of the input's size.

Discriminator ``C(ndf)-C(2ndf)-C(4ndf)-C(8ndf)-1``: 4×4 convolutions, each output
cell sees a 70×70 patch of the input and says "real" or "fake" for that patch.
Output sizes: 256 px -> 30×30, 128 px -> 14×14, 64 px -> 6×6.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    """x + F(x), where F is two reflection-padded 3×3 convolutions with instance norm."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Image-to-image generator: (B, 3, S, S) in [-1, 1] -> (B, 3, S, S) in [-1, 1]; S divisible by 4."""

    def __init__(self, ngf: int = 64, n_blocks: int = 9, channels: int = 3):
        super().__init__()
        self.ngf, self.n_blocks = ngf, n_blocks
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), nn.InstanceNorm2d(ngf),
                                   nn.ReLU(True)]
        width = ngf
        for _ in range(2):  # two stride-2 downsamplings: S -> S/4, ngf -> 4·ngf
            layers += [nn.Conv2d(width, width * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(width * 2),
                       nn.ReLU(True)]
            width *= 2
        layers += [ResidualBlock(width) for _ in range(n_blocks)]  # (B, 4·ngf, S/4, S/4)
        for _ in range(2):  # two fractionally strided convolutions back up: S/4 -> S
            layers += [nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """70×70 PatchGAN: (B, 3, S, S) -> (B, 1, S/8 - 2, S/8 - 2) real/fake scores, one per patch."""

    def __init__(self, ndf: int = 64, channels: int = 3):
        super().__init__()
        self.ndf = ndf
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        width = ndf
        for stride in (2, 2, 1):  # C128 (s2), C256 (s2), C512 (s1): receptive field grows to 70 px
            layers += [nn.Conv2d(width, width * 2, 4, stride=stride, padding=1), nn.InstanceNorm2d(width * 2),
                       nn.LeakyReLU(0.2, True)]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))  # one score per patch, no sigmoid (LSGAN)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The paper's initialisation: convolution weights from N(0, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def build_generator(ngf: int, n_blocks: int, seed: int | None = None) -> ResnetGenerator:
    if seed is not None:
        torch.manual_seed(seed)
    return init_weights(ResnetGenerator(ngf, n_blocks))


def build_discriminator(ndf: int, seed: int | None = None) -> PatchDiscriminator:
    if seed is not None:
        torch.manual_seed(seed)
    return init_weights(PatchDiscriminator(ndf))
