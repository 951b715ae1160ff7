"""Does a CycleGAN translate real photos recognisably? Apples into oranges, scored by a classifier.

    .venv/bin/python bench/cyclegan_photos.py                           # the bundled model only
    .venv/bin/python bench/cyclegan_photos.py --train-minutes 10 30      # and runs trained that long, 64 px
    .venv/bin/python bench/cyclegan_photos.py --train-minutes 30 --sizes 64 128
    .venv/bin/python bench/cyclegan_photos.py --runs RUN_ID ...          # score runs trained before

Data: the real photos in ``../shared/data/apples-oranges`` (benchmark only: never ship a model trained on
them). A small apple-vs-orange classifier (the lab's ``cnn4`` with a linear head) is trained on the real
training photos and checked on the real test photos. Each model then translates the test apples into oranges
(and the test oranges into apples); the table gives the share the classifier calls the target fruit, beside
the cycle reconstruction L1 (mean absolute difference, 0–1 scale, of x and F(G(x))). Training rows are
ordinary CycleGAN runs of the lab (``python -m replearn_core cyclegan``, the page's defaults) on
``folder:../shared/data/apples-oranges`` with ``--time-budget-s``, in this data folder.

Target (issue 12): at least 70 % of the translated test apples classified as oranges after 30 minutes of
training on 2 CPU cores at 64 px. It measures wall-clock time: run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PHOTOS = ROOT.parent / "shared" / "data" / "apples-oranges"
TARGET = 0.70


def train_classifier(size: int, epochs: int = 15, seed: int = 0):
    """cnn4 + linear head, apple (0) vs orange (1), on the real training photos; returns (model, test accuracy)."""
    import torch
    from torch import nn

    from replearn_core.augment import plain
    from replearn_core.backbones import build_backbone
    from replearn_core.cyclegan.data import load_domains
    from replearn_core.device import pick_device

    torch.manual_seed(seed)
    train, test = load_domains(f"folder:{PHOTOS}", "train", size), load_domains(f"folder:{PHOTOS}", "test", size)
    x = torch.cat([train.a, train.b])
    y = torch.cat([torch.zeros(len(train.a)), torch.ones(len(train.b))]).long()
    backbone = build_backbone("cnn4")
    device = pick_device()  # on a GPU machine the classifier trains there (on 16 CPU cores it took minutes)
    model = nn.Sequential(backbone, nn.Linear(backbone.feature_dim, 2)).to(device)
    x, y = x.to(device), y.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x)).split(64):
            batch = x[idx.to(device)]
            if torch.rand(()) < 0.5:
                batch = batch.flip(3)  # mirror: the only augmentation, fruit have no handedness
            loss = nn.functional.cross_entropy(model(plain(batch)), y[idx.to(device)])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    accuracy = (predict(model, test.a) == 0).float().mean().item() * 0.5 + \
        (predict(model, test.b) == 1).float().mean().item() * 0.5
    return model, accuracy


def predict(model, images):
    import torch

    from replearn_core.augment import plain

    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model(plain(chunk.to(device))).argmax(1).cpu() for chunk in images.split(128)])


def score(source: str, classifier, store=None) -> dict:
    """Translate the real test photos with a model (``bundled`` or a run id) and score the translations."""
    from replearn_core.cyclegan.data import load_domains
    from replearn_core.cyclegan.walk import model_info, translate

    info = model_info(source, store)
    size = info.config.image_size
    test = load_domains(f"folder:{PHOTOS}", "test", size)
    to_orange, rec_a = translate(info, test.a, "AtoB")
    to_apple, rec_b = translate(info, test.b, "BtoA")
    l1 = ((rec_a.float() - test.a.float()).abs().mean() + (rec_b.float() - test.b.float()).abs().mean()) / 2 / 255
    return {"source": source, "size": size, "description": info.description,
            "apples_to_oranges": (predict(classifier[size], to_orange) == 1).float().mean().item(),
            "oranges_to_apples": (predict(classifier[size], to_apple) == 0).float().mean().item(),
            "cycle_l1": round(l1.item(), 4)}


def train_run(minutes: float, size: int) -> str:
    """A CycleGAN run of the lab on the photos, stopped by its time budget; returns its id."""
    import os

    command = [sys.executable, "-m", "replearn_core", "cyclegan", "--data", f"folder:{PHOTOS}",
               "--size", str(size), "--epochs", "1000", "--max-train-images", "1000",
               "--time-budget-s", str(minutes * 60), "--cpu-threads", str(os.cpu_count()), "--json", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"training failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-minutes", type=float, nargs="*", default=[], help="train a run this long (each)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64], help="image sizes of the trained runs")
    parser.add_argument("--runs", nargs="*", default=[], help="score these CycleGAN runs too")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cyclegan_photos.json"))
    args = parser.parse_args()
    if not PHOTOS.is_dir():
        sys.exit(f"no photos at {PHOTOS}: this benchmark needs ../shared/data/apples-oranges")
    from replearn_core.cyclegan.walk import BUNDLED, model_info
    from replearn_core.device import describe, pick_device

    sizes = sorted({model_info(BUNDLED).config.image_size, *args.sizes})
    classifier, accuracy = {}, {}
    for size in sizes:
        classifier[size], accuracy[size] = train_classifier(size)
        print(f"classifier at {size} px: {accuracy[size]:.3f} on the real test photos", flush=True)
    rows = [dict(score(BUNDLED, classifier), minutes=None)]
    for source in args.runs:
        rows.append(dict(score(source, classifier), minutes=None))
    for size in args.sizes:
        for minutes in args.train_minutes:
            started = time.perf_counter()
            run_id = train_run(minutes, size)
            print(f"trained {run_id}: {size} px, {minutes:g} min budget, {time.perf_counter() - started:.0f} s wall",
                  flush=True)
            rows.append(dict(score(run_id, classifier), minutes=minutes))
    print(f"\nCycleGAN on real photos ({PHOTOS.name} test split), {describe(pick_device())}, "
          f"{time.strftime('%Y-%m-%d')}; classifier accuracy on real test photos: "
          + ", ".join(f"{s} px {a:.3f}" for s, a in accuracy.items()) + "\n")
    print("| model | px | training | apples → oranges | oranges → apples | cycle L1 | target ≥ 70 % |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        training = "bundled (drawn fruit)" if r["source"] == BUNDLED else (
            f"{r['minutes']:g} min" if r["minutes"] else r["source"])
        met = "" if r["minutes"] != 30 or r["size"] != 64 else ("yes" if r["apples_to_oranges"] >= TARGET else "**no**")
        print(f"| {r['source']} | {r['size']} | {training} | {r['apples_to_oranges']:.1%} | "
              f"{r['oranges_to_apples']:.1%} | {r['cycle_l1']:.3f} | {met} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "classifier": accuracy,
                                          "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
