import torch
from torch import nn

from replearn_core.augment import denormalize
from replearn_core.backbones import TransformerBlock, VisionTransformer, sincos_positions
from replearn_core.ssl.losses.masked_reconstruction import masked_reconstruction
from replearn_core.options import Option
from replearn_core.ssl.methods.base import SSLMethod


def patchify(images: torch.Tensor, patch: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, T, patch² · C): the image's patches in row order, each flattened."""
    b, c, h, w = images.shape
    x = images.reshape(b, c, h // patch, patch, w // patch, patch)  # (B, C, gh, p, gw, p)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // patch) * (w // patch), patch * patch * c)


def unpatchify(patches: torch.Tensor, patch: int, channels: int = 3) -> torch.Tensor:
    """(B, T, patch² · C) -> (B, C, H, W), the inverse of :func:`patchify` for square images."""
    b, t, _ = patches.shape
    grid = int(round(t ** 0.5))
    x = patches.reshape(b, grid, grid, patch, patch, channels)  # (B, gh, gw, p, p, C)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(b, channels, grid * patch, grid * patch)


def random_masking(batch: int, tokens: int, ratio: float, generator: torch.Generator | None,
                   device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, a random set of visible tokens: (B, V) their indices and (B, T) the mask, 1 = hidden.

    V = T · (1 − ratio), at least 1: every image shows the encoder the same number of patches, so the
    visible tokens stack into one (B, V, D) batch.
    """
    visible = max(1, int(round(tokens * (1 - ratio))))
    noise = torch.rand(batch, tokens, generator=generator).to(device)
    keep = noise.argsort(1)[:, :visible]  # (B, V)
    mask = torch.ones(batch, tokens, device=device)
    mask.scatter_(1, keep, 0.0)
    return keep, mask


class MaskedAutoencoder(SSLMethod):
    name = "mae"
    title = "Masked autoencoder (MAE)"
    order = 80
    short_title = "MAE"
    paper = "He et al. 2022, Masked Autoencoders Are Scalable Vision Learners"
    summary = ("Cut the image into 4×4-pixel patches, hide most of them (75 % by default) and let a Vision "
               "Transformer see only the rest; a small decoder must paint the hidden patches back. The loss "
               "counts the hidden patches only. Expect a low kNN score: on shapes the default run reaches kNN "
               "0.16 (0.13 untrained) where SimCLR reaches 0.66, because nothing asks two images of a class to "
               "have nearby features, only that hidden patches be predictable. MAE features are meant to be "
               "fine-tuned: its linear probe rises more (0.25 to 0.32) and fine-tuned with 10 % of the labels it "
               "beats the same ViT untrained by 8 points (docs/ssl_tests_benchmarks.md).")
    formula = (r"\mathcal{L} = \frac{1}{|M|}\sum_{t \in M}\frac{1}{P}\big\lVert g_\phi\big(f_\theta(x_{\bar M})\big)_t"
               r" - x_t\big\rVert_2^2")
    recipe_kind = "light"
    view_fraction = 0.75  # 24-pixel light crops: 36 patches, 9 of them seen
    default_epochs = 20  # a step costs 1.3× the autoencoder's (9 of 36 patches seen); encoding 64 patches
    # for kNN costs 12× cnn4's, so a run evaluates less often (default_eval_every)
    default_eval_every = 10
    default_batch_size = 128
    default_backbone = "vit"
    backbones = ("vit",)
    lab_views = ("reconstruction",)
    loss_function = staticmethod(masked_reconstruction)
    options = (
        Option("mask_ratio", 0.75, "Mask ratio",
               "Fraction of the 4×4 patches hidden from the encoder. The paper's 75 % leaves too little to copy "
               "from neighbours, so the encoder must understand the object.", low=0.05, high=0.95, step=0.05),
        Option("normalize_target", False, "Normalised patch targets",
               "Standardise each target patch over its own pixels (the paper's norm-pix loss): the decoder draws "
               "edges and texture rather than each patch's average colour."),
        Option("decoder_width", 64, "Decoder width", "Width of the light decoder's tokens.", low=16, high=512),
        Option("decoder_depth", 1, "Decoder blocks", "Transformer blocks of the decoder.", low=1, high=8),
    )

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        if not isinstance(backbone, VisionTransformer):
            raise ValueError("MAE needs a Vision Transformer backbone (vit): it drops the hidden patches' tokens")
        self.mask_ratio = self.option_values["mask_ratio"]  # fraction of patches hidden
        self.normalize_target = self.option_values["normalize_target"]  # the paper's norm-pix loss
        self.patch = backbone.patch
        width = self.option_values["decoder_width"]  # the light decoder of the paper, scaled down
        self.decoder_width = width
        self.decoder_embed = nn.Linear(backbone.feature_dim, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        nn.init.normal_(self.mask_token, std=0.02)
        depth = self.option_values["decoder_depth"]  # transformer blocks of the decoder
        self.decoder_blocks = nn.Sequential(*[TransformerBlock(width, 4) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(width)
        self.decoder_pred = nn.Linear(width, self.patch * self.patch * 3)

    def forward_masked(self, x: torch.Tensor, generator: torch.Generator | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, S, S) normalised images -> (B, T, P) predicted patches and the (B, T) mask, 1 = hidden."""
        tokens = self.backbone.embed(x)  # (B, T, D)
        b, t, d = tokens.shape
        keep, mask = random_masking(b, t, self.mask_ratio, generator, x.device)
        visible = torch.gather(tokens, 1, keep[..., None].expand(-1, -1, d))  # (B, V, D)
        encoded = self.decoder_embed(self.backbone.encode_tokens(visible))  # (B, V, W)
        # the decoder sees every position: the encoded visible tokens in their places, a mask token elsewhere
        full = self.mask_token.to(encoded.dtype).expand(b, t, -1).clone()  # (B, T, W)
        full = full.scatter(1, keep[..., None].expand(-1, -1, encoded.shape[-1]), encoded)
        grid = int(round(t ** 0.5))
        full = full + sincos_positions(grid, self.decoder_width).to(full.device, full.dtype)
        return self.decoder_pred(self.decoder_norm(self.decoder_blocks(full))), mask  # (B, T, P), (B, T)

    def training_loss(self, images, generator=None):
        view, = self.views(images, generator, n=1)  # (B, 3, S, S)
        prediction, mask = self.forward_masked(view, generator)
        loss = masked_reconstruction(prediction, patchify(view, self.patch), mask, self.normalize_target)
        return loss, {}

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, generator: torch.Generator | None = None
                    ) -> dict[str, torch.Tensor]:
        """Rows for the lab: the masked input (hidden patches grey), the reconstruction (visible patches
        pasted back, as the paper shows it) and the original; (B, 3, S, S) in [0, 1]."""
        prediction, mask = self.forward_masked(x, generator)
        target = patchify(x, self.patch)  # (B, T, P)
        if self.normalize_target:  # the prediction is in per-patch standardised units: give each patch its own
            mean, std = target.mean(-1, keepdim=True), (target.var(-1, keepdim=True, unbiased=False) + 1e-6).sqrt()
            prediction = prediction * std + mean
        hidden = mask[..., None].bool()  # (B, T, 1)
        masked = torch.where(hidden, torch.zeros_like(target), target)  # 0 = mid-grey once denormalised
        pasted = torch.where(hidden, prediction.float(), target)
        rows = {"masked input": masked, "reconstruction": pasted, "original": target}
        return {k: denormalize(unpatchify(v, self.patch)).clamp(0, 1) for k, v in rows.items()}
