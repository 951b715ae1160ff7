"""Each method's training cost per image relative to the autoencoder's, measured interleaved.

    .venv/bin/python bench/step_cost.py                      # autoencoder, rotation, vae, jigsaw, mae
    .venv/bin/python bench/step_cost.py --methods autoencoder,simclr --threads 2

On a CPU shared with other work a wall-clock time says little; a ratio says more. The methods' default-run
steps (their own batch size, views and backbone) are timed round-robin, one step of each in turn, so that
whatever else the machine does slows them all alike. With the autoencoder's quiet time per epoch (its default
run: 30 epochs in 66 s on 2 cores, about 1.5 s an epoch of training) the ratios estimate every method's seconds
per epoch, which is how the default epochs of MAE, VAE and jigsaw were chosen (docs/ssl_tests_benchmarks.md).
The last line compares the cost of encoding an image for kNN with cnn4 and with the ViT.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="autoencoder,rotation,vae,jigsaw,mae", help="the first is the reference")
    parser.add_argument("--rounds", type=int, default=6, help="steps of each method (the first is not counted)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch

    from replearn_core.augment import plain
    from replearn_core.backbones import build_backbone
    from replearn_core.data.shapes import make_shapes
    from replearn_core.device import autocast
    from replearn_core.ssl.config import TrainConfig
    from replearn_core.ssl.methods import METHODS, build_method

    torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    images = make_shapes(256, 32, seed=0).images  # (256, 3, 32, 32) uint8
    names = [m.strip() for m in args.methods.split(",") if m.strip()]
    methods = {}
    for name in names:
        torch.manual_seed(0)
        config = TrainConfig(method=name, backbone=METHODS[name].default_backbone).validate(METHODS)
        method = build_method(config).to(memory_format=torch.channels_last).train()
        methods[name] = (method, config.batch_size, torch.optim.AdamW(method.parameters()))
    seconds = {name: [] for name in names}  # per image
    g = torch.Generator().manual_seed(0)
    for r in range(args.rounds):
        for name in names:
            method, batch, optimizer = methods[name]
            started = time.perf_counter()
            with autocast(cpu, cpu_bf16=True):
                loss, _ = method.training_loss(images[:batch], g)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if r:
                seconds[name].append((time.perf_counter() - started) / batch)
    reference = statistics.median(seconds[names[0]])
    print(f"| method | ms per training image | × {names[0]} |")
    print("|---|---|---|")
    for name in names:
        per_image = statistics.median(seconds[name])
        print(f"| {name} | {per_image * 1e3:.2f} | {per_image / reference:.2f} |")
    encode = {}
    for backbone in ("cnn4", "vit"):
        net, times = build_backbone(backbone).eval(), []
        for _ in range(3):
            started = time.perf_counter()
            with torch.no_grad(), autocast(cpu, cpu_bf16=True):
                net(plain(images))
            times.append((time.perf_counter() - started) / len(images))
        encode[backbone] = min(times)
    print(f"\nencoding for kNN, ms per image: cnn4 {encode['cnn4'] * 1e3:.3f}, vit {encode['vit'] * 1e3:.3f} "
          f"({encode['vit'] / encode['cnn4']:.1f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
