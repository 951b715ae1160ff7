import math

import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.ssl.methods.base import SSLMethod


class Decoder(nn.Module):
    """Feature vector -> image: a linear layer to a 4×4 map, then upsampling convolutions."""

    def __init__(self, feature_dim: int, image_size: int, width: int = 64):
        super().__init__()
        self.image_size = image_size
        self.width = width
        self.fc = nn.Linear(feature_dim, width * 4 * 4)
        blocks = []
        for _ in range(max(1, int(math.log2(max(image_size // 4, 1))))):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width, 3, padding=1),
                       nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, features):
        x = self.fc(features).view(-1, self.width, 4, 4)  # (B, W, 4, 4)
        x = self.out(self.blocks(x))  # (B, 3, S', S'), S' a power of two
        if x.shape[-1] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)
        return x


class DenoisingAutoencoder(SSLMethod):
    name = "autoencoder"
    title = "Denoising autoencoder"
    paper = "Vincent et al. 2008, Extracting and Composing Robust Features with Denoising Autoencoders"
    summary = ("The encoder squeezes a noisy image into a feature vector and a decoder must rebuild the "
               "clean image from it. It learns what is needed to redraw pixels, which is often more than "
               "what is needed to tell classes apart: compare its kNN accuracy with the contrastive methods.")
    formula = r"\mathcal{L} = \frac{1}{N}\sum_i \lVert g_\phi(f_\theta(x_i + \epsilon_i)) - x_i\rVert_2^2,\quad \epsilon_i\sim\mathcal{N}(0,\sigma^2)"
    default_epochs = 17  # a decoder as large as the encoder
    recipe_kind = "light"
    view_fraction = 1.0  # light crops: views the size of the images

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.noise_std = float(config.options.get("noise_std", 0.5))  # in normalised units (about 0.12 of the range)
        self.decoder = Decoder(self.feature_dim, self.view_size)

    def training_loss(self, images, generator=None):
        clean, = self.views(images, generator, n=1)  # (B, 3, S, S)
        noise = torch.randn(clean.shape, generator=generator).to(clean.device, clean.dtype)
        reconstruction = self.decoder(self.backbone(clean + self.noise_std * noise))
        return F.mse_loss(reconstruction.float(), clean.float()), {}
