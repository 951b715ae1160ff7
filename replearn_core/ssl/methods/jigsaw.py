import itertools

import torch
from torch import nn

from replearn_core.options import Option
from replearn_core.ssl.losses.jigsaw import permutation_cross_entropy
from replearn_core.ssl.methods.base import SSLMethod


def hamming_permutations(tiles: int, count: int, seed: int = 0) -> torch.Tensor:
    """(count, tiles) permutations of range(tiles), chosen greedily for maximal Hamming distance.

    Noroozi & Favaro's selection: start from one permutation at random, then add, again and again, the
    permutation whose smallest Hamming distance (tile positions that differ) to those already chosen is
    largest. Deterministic for a seed, so a run's classes mean the same permutations when it is read back.
    """
    every = torch.tensor(list(itertools.permutations(range(tiles))))  # (tiles!, tiles)
    if not 2 <= count <= len(every):
        raise ValueError(f"choose between 2 and {len(every)} permutations of {tiles} tiles, not {count}")
    g = torch.Generator().manual_seed(seed)
    chosen = [int(torch.randint(len(every), (1,), generator=g))]
    nearest = (every != every[chosen[0]]).sum(1)  # (tiles!,) distance to the closest chosen permutation
    for _ in range(count - 1):
        best = torch.nonzero(nearest == nearest.max()).flatten()
        pick = int(best[torch.randint(len(best), (1,), generator=g)])  # ties broken at random, seeded
        chosen.append(pick)
        nearest = torch.minimum(nearest, (every != every[pick]).sum(1))
    return every[chosen]


def cut_tiles(x: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, grid², C, H/grid, W/grid): the tiles in row order."""
    b, c, h, w = x.shape
    th, tw = h // grid, w // grid
    x = x[:, :, :th * grid, :tw * grid].reshape(b, c, grid, th, grid, tw)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, grid * grid, c, th, tw)


def join_tiles(tiles: torch.Tensor) -> torch.Tensor:
    """(B, grid², C, h, w) -> (B, C, grid·h, grid·w), the inverse of :func:`cut_tiles`."""
    b, n, c, h, w = tiles.shape
    grid = int(round(n ** 0.5))
    return tiles.reshape(b, grid, grid, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, grid * h, grid * w)


def shuffle_tiles(tiles: torch.Tensor, permutations: torch.Tensor) -> torch.Tensor:
    """Place tile permutations[b, i] at position i: (B, N, ...) tiles, (B, N) permutations."""
    index = permutations.view(*permutations.shape, *([1] * (tiles.dim() - 2))).expand_as(tiles)
    return torch.gather(tiles, 1, index)


def inverse_permutations(permutations: torch.Tensor) -> torch.Tensor:
    """(..., N) -> (..., N): the permutations that undo them (shuffling by p, then by its inverse, restores)."""
    return permutations.argsort(-1)


class Jigsaw(SSLMethod):
    name = "jigsaw"
    title = "Jigsaw puzzles (拼图复原)"
    order = 100
    short_title = "Jigsaw"
    paper = "Noroozi & Favaro 2016, Unsupervised Learning of Visual Representations by Solving Jigsaw Puzzles"
    summary = ("A pretext task: cut each image into 2×2 tiles, shuffle them by one of a fixed set of "
               "permutations (chosen to differ from one another as much as possible) and make the network say "
               "which. Each tile goes through the encoder alone, so it must recognise what part of an object a "
               "tile shows; tiles are cut with a random gap and standardised one by one, so that edges running "
               "on across tiles and each tile's brightness cannot give the order away.")
    formula = (r"\mathcal{L} = -\log p_\theta\big(\pi \mid f(t_{\pi(1)}), \dots, f(t_{\pi(N)})\big),"
               r"\quad \pi \in \{\pi_1, \dots, \pi_K\}")
    recipe_kind = "light"
    view_fraction = 1.0  # tiles are cut from whole-size views
    default_epochs = 32  # four 14-pixel tiles an image cost about what one 24-pixel view does
    default_batch_size = 128
    lab_views = ("jigsaw",)
    loss_function = staticmethod(permutation_cross_entropy)
    options = (
        Option("grid", 0, "Tiles a side",
               "2 (24 possible orders) or 3 (the paper's 9! orders); 0 = 3 from 64-pixel views up, else 2.",
               low=0, high=3),
        Option("permutations", 0, "Permutations",
               "How many orders the network tells apart, chosen to differ as much as possible; 0 = 12 for 2×2, "
               "100 for 3×3.", low=0, high=1000),
    )

    def __init__(self, backbone, config):
        super().__init__(backbone, config)
        # tiles a side: 2 (24 orders) on small images, 3 (9! orders, the paper's) from 64-pixel views up
        self.grid = self.option_values["grid"] or (3 if self.view_size >= 64 else 2)
        if self.grid < 2:
            raise ValueError("jigsaw needs at least 2 tiles a side (option grid: 2 or 3, or 0 for automatic)")
        count = self.option_values["permutations"] or (12 if self.grid == 2 else 100)
        self.register_buffer("permutations", hamming_permutations(self.grid ** 2, count), persistent=False)
        self.tile_size = self.view_size // self.grid  # pixels a side of a tile's cell
        self.crop = max(4, round(self.tile_size * 0.875))  # the tile cut from it, at a random offset (the gap)
        tiles = self.grid ** 2
        self.head = nn.Sequential(nn.Linear(tiles * self.feature_dim, 512), nn.ReLU(inplace=True),
                                  nn.Linear(512, count))

    def make_puzzles(self, x: torch.Tensor, generator: torch.Generator | None, jitter: bool = True
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, S, S) -> (B, N, 3, c, c) shuffled, standardised tiles and (B,) the permutation classes."""
        b = len(x)
        tiles = cut_tiles(x, self.grid)  # (B, N, 3, t, t)
        slack = self.tile_size - self.crop
        if jitter and slack > 0:  # each tile cut at its own random offset inside its cell
            dy, dx = (torch.randint(slack + 1, (2, b, tiles.shape[1]), generator=generator)).to(x.device)
            rows = (dy[..., None] + torch.arange(self.crop, device=x.device))  # (B, N, c)
            cols = (dx[..., None] + torch.arange(self.crop, device=x.device))
            tiles = torch.gather(tiles, 3, rows[:, :, None, :, None].expand(-1, -1, 3, -1, self.tile_size))
            tiles = torch.gather(tiles, 4, cols[:, :, None, None, :].expand(-1, -1, 3, self.crop, -1))
        else:
            start = slack // 2
            tiles = tiles[..., start:start + self.crop, start:start + self.crop]
        # each tile standardised on its own: its brightness and contrast say nothing of where it belongs
        tiles = (tiles - tiles.mean((2, 3, 4), keepdim=True)) / (tiles.std((2, 3, 4), keepdim=True) + 0.1)
        classes = torch.randint(len(self.permutations), (b,), generator=generator).to(x.device)
        return shuffle_tiles(tiles, self.permutations[classes]), classes

    def classify(self, puzzles: torch.Tensor) -> torch.Tensor:
        """(B, N, 3, c, c) shuffled tiles -> (B, K) permutation logits; each tile encoded on its own."""
        b, n = puzzles.shape[:2]
        features = self.backbone(puzzles.flatten(0, 1))  # (B·N, D)
        return self.head(features.reshape(b, n * features.shape[-1]))

    def training_loss(self, images, generator=None):
        view, = self.views(images, generator, n=1)  # (B, 3, S, S)
        puzzles, classes = self.make_puzzles(view, generator)
        logits = self.classify(puzzles)
        accuracy = (logits.argmax(1) == classes).float().mean().item()
        return permutation_cross_entropy(logits, classes), {"pretext_acc": accuracy}

    @torch.no_grad()
    def solve(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """For the lab: shuffled puzzles of x, the network's guess at each and the image put back by it.

        Returns ``shuffled`` and ``restored`` images (B, 3, S', S') in [0, 1], and the (B, N) ``true`` and
        ``predicted`` permutations (tile at position i came from position p[i]).
        """
        puzzles, classes = self.make_puzzles(x, generator, jitter=False)
        predicted = self.classify(puzzles).argmax(1)
        true_perm, guess = self.permutations[classes], self.permutations[predicted]
        restored = shuffle_tiles(puzzles, inverse_permutations(guess))

        def show(tiles):  # each tile stretched back to [0, 1] for the eye
            lo = tiles.amin((2, 3, 4), keepdim=True)
            hi = tiles.amax((2, 3, 4), keepdim=True)
            return join_tiles((tiles - lo) / (hi - lo + 1e-6))

        return {"shuffled": show(puzzles), "restored": show(restored), "true": true_perm, "predicted": guess}
