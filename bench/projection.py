"""Speed of the feature-map projections: ours beside scikit-learn's TSNE and umap-learn's UMAP.

    .venv/bin/python bench/projection.py            # 5,000 × 512 features, one table
    .venv/bin/python bench/projection.py --points 2000

Features: an untrained ResNet-18 (CIFAR stem, 512-d, seed 0) applied to CIFAR-10 test images from
../shared/data/cifar10/test (500 per class), cached in bench/results/. The same matrix goes to every method.

Each implementation runs in fresh processes, so "cold" is honest:
- cold, empty JIT cache: the first use ever on this machine (numba compiles everything);
- first use after start: a new process (like a freshly started app) whose on-disk numba cache is filled;
- warm: the second fit in the same process.
Times are wall-clock seconds for ``fit_transform`` only (imports listed apart); "warm CPU" is the
process's CPU time for the warm fit, which a busy machine inflates far less than wall time. Quality of
the map: the 5-fold cross-validated 10-NN majority-vote accuracy of the class labels on the 2-D points
("map 10-NN acc", a score of the picture, not the kNN accuracy of the features that runs report), and
trustworthiness (Venna & Kaski 2001, k = 10). The machine is shared: timings are noisy, run it twice.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CIFAR = ROOT.parent / "shared" / "data" / "cifar10" / "test"


def features(points: int) -> tuple[np.ndarray, np.ndarray]:
    path = RESULTS / f"cifar10_resnet18_untrained_{points}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return data["features"], data["labels"]
    sys.path.insert(0, str(ROOT))
    import torch
    from PIL import Image

    from replearn_core.checkpoints import untrained_encoder
    from replearn_core.features import encode_images

    if not CIFAR.is_dir():
        raise SystemExit(f"CIFAR-10 images not found at {CIFAR}")
    classes = sorted(p.name for p in CIFAR.iterdir() if p.is_dir())
    per_class = -(-points // len(classes))
    images, labels = [], []
    for c, name in enumerate(classes):
        for f in sorted((CIFAR / name).glob("*.jpg"))[:per_class]:
            images.append(np.asarray(Image.open(f).convert("RGB").resize((32, 32))).transpose(2, 0, 1))
            labels.append(c)
    images, labels = np.stack(images)[:points], np.array(labels)[:points]
    feats = encode_images(untrained_encoder("resnet18_cifar", 0), torch.from_numpy(images),
                          torch.device("cpu")).numpy()
    RESULTS.mkdir(parents=True, exist_ok=True)
    np.savez(path, features=feats, labels=labels)
    return feats, labels


def make(impl: str):
    if impl == "ours-tsne":
        from replearn_core.projection import TSNE
        return TSNE(random_state=0)
    if impl == "ours-umap":
        from replearn_core.projection import UMAP
        return UMAP(random_state=0)
    if impl == "ours-pca":
        from replearn_core.projection import PCA
        return PCA(2)
    if impl == "sklearn-tsne":
        from sklearn.manifold import TSNE
        return TSNE(random_state=0)
    if impl == "umap-learn":
        import umap
        return umap.UMAP(random_state=0)
    raise ValueError(impl)


def worker(impl: str, points: int, repeats: int) -> dict:
    X, y = features(points)
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    make(impl)
    out = {"import_s": time.perf_counter() - t0, "fit_s": [], "cpu_s": []}
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        Y = make(impl).fit_transform(X)
        out["fit_s"].append(time.perf_counter() - t0)
        out["cpu_s"].append(time.process_time() - c0)
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.model_selection import cross_val_score

    out["knn2d"] = float(cross_val_score(KNeighborsClassifier(10), Y, y, cv=5).mean())
    out["trust"] = float(trustworthiness(X, Y, n_neighbors=10))
    return out


def spawn(impl: str, points: int, repeats: int, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--worker", impl, "--points", str(points), "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{impl} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--worker")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-references", action="store_true", help="skip scikit-learn and umap-learn")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.points, args.repeats)))
        return
    X, _ = features(args.points)
    print(f"features: {X.shape[0]} × {X.shape[1]} (untrained ResNet-18 on CIFAR-10 test images); "
          f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at start")
    rows = []
    with tempfile.TemporaryDirectory() as empty_cache:
        for impl in ("ours-pca", "ours-tsne", "ours-umap"):
            env = {"NUMBA_CACHE_DIR": empty_cache}
            cold = spawn(impl, args.points, 1, env)  # compiles, fills the cache
            after_start = spawn(impl, args.points, args.repeats, env)  # loads from the cache
            rows.append((impl, cold["fit_s"][0], after_start["fit_s"][0], after_start["fit_s"][-1],
                         after_start["cpu_s"][-1], after_start["import_s"], after_start["knn2d"], after_start["trust"]))
            print(rows[-1], flush=True)
    if not args.skip_references:
        for impl in ("sklearn-tsne", "umap-learn"):
            r = spawn(impl, args.points, args.repeats, {})
            rows.append((impl + " (defaults)", None, r["fit_s"][0], r["fit_s"][-1], r["cpu_s"][-1], r["import_s"],
                         r["knn2d"], r["trust"]))
            print(rows[-1], flush=True)
    header = ("method", "cold, empty JIT cache (s)", "first use after start (s)", "warm (s)", "warm CPU (s)",
              "import (s)", "map 10-NN acc (2-D, 5-fold)", "trustworthiness")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, cold, first, warm, cpu, imp, knn2d, trust in rows:
        cells = [name, "-" if cold is None else f"{cold:.2f}", f"{first:.2f}", f"{warm:.2f}", f"{cpu:.2f}",
                 f"{imp:.2f}", f"{knn2d:.3f}", f"{trust:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "projection.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
