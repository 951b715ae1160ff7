"""CycleGAN speed: steps/s and images/s at 64 and 128 px, and how a step splits between G and D.

    python bench/cyclegan.py                  # this machine's device, defaults of the page (ngf 16, ndf 32, 6 blocks)
    python bench/cyclegan.py --ngf 64 --ndf 64 --n-blocks 9 --sizes 128 256   # the paper's networks
    python bench/cyclegan.py --data folder:../shared/data/apples-oranges --batch-sizes 1 4

Each row times `--steps` training steps after `--warmup` untimed ones, on real
photos from ../shared/data/apples-oranges when present (else the built-in fruit).
"images/s" counts one image of each domain per pair. "G share" is the fraction
of a step spent in the generators' forward + backward + Adam update (four
generator passes, plus two identity passes, against two discriminators); the
rest is the discriminators' update.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from replearn_core.cyclegan.config import CycleGANConfig  # noqa: E402
from replearn_core.cyclegan.data import load_domains  # noqa: E402
from replearn_core.cyclegan.images import to_signed  # noqa: E402
from replearn_core.cyclegan.trainer import CycleGANTrainer  # noqa: E402
from replearn_core.device import describe, pick_device, to_device_batch  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "apples-oranges"


def bench(cfg: CycleGANConfig, data, device, steps: int, warmup: int) -> dict:
    trainer = CycleGANTrainer(cfg, device, total_steps=steps + warmup)
    a = to_device_batch(to_signed(data.a[:cfg.batch_size]), device)
    b = to_device_batch(to_signed(data.b[:cfg.batch_size]), device)
    for _ in range(warmup):
        trainer.step(a, b)
    t_g = t_d = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        out = trainer.step(a, b)
        t_g += out.time_G
        t_d += out.time_D
    elapsed = time.perf_counter() - start
    return {"steps_per_s": steps / elapsed, "images_per_s": steps * cfg.batch_size / elapsed,
            "ms_G": 1000 * t_g / steps, "ms_D": 1000 * t_d / steps, "G_share": t_g / (t_g + t_d)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4])
    p.add_argument("--ngf", type=int, default=CycleGANConfig.ngf)
    p.add_argument("--ndf", type=int, default=CycleGANConfig.ndf)
    p.add_argument("--n-blocks", type=int, default=CycleGANConfig.n_blocks)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--data", default=f"folder:{SHARED}" if SHARED.is_dir() else "fruit")
    p.add_argument("--device", default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    print(f"device: {describe(device)} · torch {torch.__version__} · data {args.data} · ngf {args.ngf} · "
          f"ndf {args.ndf} · {args.n_blocks} blocks · {os.cpu_count()} CPUs")
    print(f"{'size':>5} {'batch':>5} {'steps/s':>8} {'images/s':>9} {'G ms':>8} {'D ms':>8} {'G share':>8}")
    for size in args.sizes:
        data = load_domains(args.data, "test", size)
        for batch in args.batch_sizes:
            cfg = CycleGANConfig(image_size=size, ngf=args.ngf, ndf=args.ndf, n_blocks=args.n_blocks,
                                 batch_size=batch)
            r = bench(cfg, data, device, args.steps, args.warmup)
            print(f"{size:>5} {batch:>5} {r['steps_per_s']:>8.2f} {r['images_per_s']:>9.2f} {r['ms_G']:>8.1f} "
                  f"{r['ms_D']:>8.1f} {r['G_share']:>8.0%}", flush=True)


if __name__ == "__main__":
    main()
