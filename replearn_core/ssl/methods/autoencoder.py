import math

import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.options import Option
from replearn_core.augment import AugSpec, augment, denormalize, luminance
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
    order = 70
    paper = "Vincent et al. 2008, Extracting and Composing Robust Features with Denoising Autoencoders"
    summary = ("The encoder squeezes a noisy image into a feature vector and a decoder must rebuild the image "
               "from it. By default its colours are scrambled first and the decoder redraws only the image's "
               "light-and-dark pattern, so colour cannot carry the reconstruction and the features must hold "
               "the shapes; with target = pixels it redraws the clean pixels and learns mostly colour and "
               "position: compare the two runs' kNN accuracy.")
    formula = (r"\mathcal{L} = \frac{1}{N}\sum_i \lVert g_\phi(f_\theta(c(x_i) + \epsilon_i)) - t(x_i)\rVert_2^2,"
               r"\quad \epsilon_i\sim\mathcal{N}(0,\sigma^2)")
    default_epochs = 30  # a decoder as large as the encoder, on 24-pixel views
    recipe_kind = "light"
    # light crops at 3/4 of the image: 32-pixel views took twice as long for the same accuracy
    # (bench/ssl_quality.py --defaults; docs/ssl_tests_benchmarks.md)
    view_fraction = 0.75
    options = (
        Option("target", "structure", "Reconstruct",
               "structure: the input's colours are scrambled and the decoder redraws the light-and-dark pattern, "
               "so the features must hold shapes. pixels: the classic denoising autoencoder, which redraws "
               "colours and positions and scores far lower on kNN: try both.", choices=("structure", "pixels")),
        Option("noise_std", 0.5, "Input noise σ",
               "Standard deviation of the Gaussian noise added to the input, in normalised units "
               "(0.5 is about an eighth of the pixel range).", low=0.0, high=2.0, step=0.1),
    )
    lab_views = ("reconstruction",)

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        self.noise_std = self.option_values["noise_std"]  # in normalised units (about 0.12 of the range)
        # structure: c = colour distortion, t = per-image standardised luminance; pixels: c and t the identity
        self.target = self.option_values["target"]
        self.decoder = Decoder(self.feature_dim, self.view_size)

    def training_loss(self, images, generator=None):
        view, = self.views(images, generator, n=1)  # (B, 3, S, S), normalised
        inputs, target = view, view
        if self.target == "structure":
            inputs, target = augment(denormalize(view), _COLOUR, generator), luminance_pattern(view)
        noise = torch.randn(inputs.shape, generator=generator).to(inputs.device, inputs.dtype)
        reconstruction = self.decoder(self.backbone(inputs + self.noise_std * noise))  # (B, 3, S, S)
        return F.mse_loss(reconstruction.float(), target.float().expand_as(reconstruction)), {}

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Rows for the lab, (B, 3, S, S) in [0, 1]: the noisy (and, for the structure target, recoloured)
        input, the decoder's output and its target (the light-and-dark pattern drawn in grey)."""
        inputs, target = x, x
        if self.target == "structure":
            inputs, target = augment(denormalize(x), _COLOUR, generator), luminance_pattern(x)
        noise = torch.randn(inputs.shape, generator=generator).to(inputs.device, inputs.dtype)
        noisy = inputs + self.noise_std * noise
        reconstruction = self.decoder(self.backbone(noisy)).float()

        def show(images):  # normalised colour images, or standardised patterns (about ±2) as grey
            if self.target == "structure" and images.shape[1] == 3 and images is not noisy:
                images = images.mean(1, keepdim=True)
            if images.shape[1] == 1:
                return (0.5 + images / 4).clamp(0, 1).expand(-1, 3, -1, -1)
            return denormalize(images).clamp(0, 1)

        return {"noisy input": show(noisy), "reconstruction": show(reconstruction), "target": show(target)}


def luminance_pattern(view: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S): each image's luminance, standardised over its pixels (zero mean, unit spread).

    What is left of an image once its colours and its overall brightness and contrast are set aside: the
    light-and-dark layout of its shapes. The 0.05 keeps flat images from being blown up to noise.
    """
    luma = luminance(denormalize(view))
    return (luma - luma.mean((2, 3), keepdim=True)) / (luma.std((2, 3), keepdim=True) + 0.05)


# the colour distortion of the structure target's inputs: hue turned at random, brightness, contrast and
# saturation jittered, sometimes grey
_COLOUR = [AugSpec("hue", 1.0, 1.0), AugSpec("color_jitter", 0.8, 0.5), AugSpec("grayscale", 0.2)]
