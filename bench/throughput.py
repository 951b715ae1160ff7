"""Training throughput of the engine's data path against a conventional input pipeline and the model alone.

    .venv/bin/python bench/throughput.py                                  # small_cnn, batch 256
    .venv/bin/python bench/throughput.py --backbone resnet18_cifar --batch-size 128 --steps 5

One SimCLR training step (two views, backbone + projection head, NT-Xent, AdamW), fed three ways:

(a) engine: the split is one uint8 tensor on the device; a batch is a slice of a permutation, both
    views are made by ``augment`` on the whole batch at once (the trainer's own step);
(b) conventional: per-image ``torchvision.transforms.v2`` (RandomResizedCrop, flip, ColorJitter,
    Grayscale, GaussianBlur, RandomSolarize) on PIL images in a ``DataLoader`` with worker processes,
    then the same model step;
(c) limit: the model step alone on ready-made view tensors.

Images per second (each image gives two views), best of ``--rounds`` rounds, printed as ratios to (c).
Target: (a) >= 0.9 of (c). The images are the built-in ``shapes`` train split at 32 px. On a shared CPU
every number is noisy; the ratio between rows measured in the same run is what to read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backbone", default="small_cnn", help="small_cnn, resnet18_cifar or resnet18")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=2, help="measure each pipeline this often, keep the best")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes for (b)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads in the main process (0 = default)")
    parser.add_argument("--images", type=int, default=5000, help="training images")
    args = parser.parse_args()

    os.environ.setdefault("REPLEARN_DATA", str(ROOT / "bench" / "results" / "throughput_data"))
    sys.path.insert(0, str(ROOT))
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from replearn_core.data import load_dataset
    from replearn_core.device import autocast, describe, pick_device, prepare_model, to_device_batch
    from replearn_core.ssl.config import TrainConfig
    from replearn_core.ssl.losses import nt_xent
    from replearn_core.ssl.methods import build_method

    device = pick_device()
    data = load_dataset("shapes", "train").take(args.images, seed=0)
    config = TrainConfig(method="simclr", backbone=args.backbone, batch_size=args.batch_size)
    torch.manual_seed(0)
    method = prepare_model(build_method(config), device).train()
    optimizer = torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=1e-3)
    b = args.batch_size

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def model_step(v1, v2):
        """The part every pipeline shares: forward both views, NT-Xent, backward, AdamW."""
        optimizer.zero_grad(set_to_none=True)
        with autocast(device):
            z1 = method.projector(method.backbone(v1))
            z2 = method.projector(method.backbone(v2))
            loss = nt_xent(z1, z2, config.temperature)
        loss.backward()
        optimizer.step()

    # (a) the engine: uint8 on the device, slices of a permutation, batch augmentation
    images = to_device_batch(data.images, device)  # (N, 3, 32, 32) uint8, once
    generator = torch.Generator().manual_seed(0)

    def engine_batches():
        while True:
            perm = torch.randperm(len(images), generator=generator).to(device)
            for i in range(len(images) // b):
                batch = images[perm[i * b:(i + 1) * b]]
                v1, v2 = method.views(batch, generator)  # augment() twice on the whole batch
                yield v1, v2

    # (b) conventional: per-image transforms on PIL images in worker processes
    loader = conventional_loader(data, b, args.workers)

    def conventional_batches():
        while True:
            for v1, v2 in loader:
                yield to_device_batch(v1, device), to_device_batch(v2, device)

    # (c) the limit: ready-made views
    fixed = [to_device_batch(torch.randn(b, 3, 32, 32), device) for _ in range(2)]

    def ready_batches():
        while True:
            yield fixed[0], fixed[1]

    pipelines = {"(c) model alone on ready tensors (limit)": ready_batches(),
                 "(a) engine: uint8 on device + batch augment": engine_batches(),
                 f"(b) per-image transforms.v2, DataLoader({args.workers} workers)": conventional_batches()}
    best = {name: 0.0 for name in pipelines}
    for _ in range(args.rounds):
        for name, batches in pipelines.items():
            for _ in range(args.warmup):
                model_step(*next(batches))
            sync()
            started = time.perf_counter()
            for _ in range(args.steps):
                model_step(*next(batches))
            sync()
            best[name] = max(best[name], args.steps * b / (time.perf_counter() - started))
    limit = best["(c) model alone on ready tensors (limit)"]
    print(f"device: {describe(device)}; backbone {args.backbone}; batch {b}; {args.steps} steps x best of "
          f"{args.rounds}; SimCLR step (2 views)")
    print(f"| pipeline | images/s | ratio to (c) |")
    print("|---|---:|---:|")
    for name in pipelines:
        print(f"| {name} | {best[name]:.0f} | {best[name] / limit:.2f} |")
    return 0


def conventional_loader(data, batch_size, workers):
    import torch
    from torch.utils.data import DataLoader, Dataset
    from torchvision.transforms import v2

    from replearn_core.augment import MEAN, STD

    transform = v2.Compose([
        v2.RandomResizedCrop(32, scale=(0.08, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        v2.RandomGrayscale(p=0.2),
        v2.RandomApply([v2.GaussianBlur(3, sigma=(0.1, 2.0))], p=0.2),
        v2.RandomSolarize(threshold=128, p=0.1),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(MEAN.flatten().tolist(), STD.flatten().tolist()),
    ])

    class TwoViews(Dataset):
        """Like torchvision's CIFAR10: a uint8 HWC array, a PIL image made per item, two views of it."""

        def __init__(self, images):
            self.array = images.permute(0, 2, 3, 1).contiguous().numpy()  # (N, 32, 32, 3)

        def __len__(self):
            return len(self.array)

        def __getitem__(self, i):
            from PIL import Image
            image = Image.fromarray(self.array[i])
            return transform(image), transform(image)

    return DataLoader(TwoViews(data.images), batch_size=batch_size, shuffle=True, drop_last=True,
                      num_workers=workers, persistent_workers=workers > 0, pin_memory=False)


if __name__ == "__main__":
    raise SystemExit(main())
