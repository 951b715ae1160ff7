"""Speed and quality of the feature-map projections: ours beside openTSNE, umap-learn and scikit-learn's TSNE.

    .venv/bin/python bench/projection.py                                   # 5k, 20k and 100k points
    .venv/bin/python bench/projection.py --points 5000 --skip-references   # ours only, one size

openTSNE and umap-learn are benchmark references only (``pip install openTSNE`` into .venv; umap-learn is in
requirements.txt). Features, 256-d, the same matrix for every method:

- up to 20,000 points: an untrained ``cnn4`` encoder (seed 0, 256-d output) applied to the CIFAR-10 JPEGs of
  ../shared/data/cifar10, train + test (20,000 images; a smaller size takes a seeded class-balanced sample);
- 100,000 points: a seeded synthetic set of the same dimensions (:func:`synthetic`): 10 classes, each a Gaussian
  on its own random 8-d subspace of the 256-d space plus isotropic noise (real features also have few
  intrinsic dimensions).

Each implementation runs in fresh processes, so "cold" is honest:
- cold, empty JIT cache: the first use ever on this machine (numba compiles everything);
- first use after start: a new process (like a freshly started app) whose on-disk numba cache is filled;
- warm: the second fit in the same process.
Times are wall-clock seconds for ``fit_transform`` only (imports listed apart); "warm CPU" is the process's CPU
seconds for the warm fit (all threads), which a busy machine inflates far less than wall time; on a quiet
2-core machine wall ≥ CPU / 2. Quality: trustworthiness (Venna & Kaski 2001, k = 10) on a fixed seeded
subsample of 5,000 points (the same rows for every method at a size; the exact score costs N² distances),
and the map's 10-NN accuracy of the labels on the 2-D points (5-fold cross-validated majority vote, on all
points; a score of the picture, not the kNN accuracy of the features that runs report). Rows above
``--max-seconds`` estimated (t-SNE at 100k, scikit-learn's TSNE above 5k) are skipped and say so.
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
CIFAR = ROOT.parent / "shared" / "data" / "cifar10"
TRUST_SAMPLE = 5000  # trustworthiness on this many seeded rows at every size, for every method
CIFAR_POINTS = 20_000  # train + test JPEGs; above this the synthetic set


def synthetic(points: int, dims: int = 256, classes: int = 10, intrinsic: int = 8, seed: int = 0):
    """A seeded Gaussian mixture: class c is mean_c + B_c z (z ~ N(0, I_8), B_c a random 8 × 256 basis) + noise."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1.0, (classes, dims))
    bases = rng.normal(0, 1.0 / np.sqrt(intrinsic), (classes, intrinsic, dims))
    y = rng.integers(0, classes, points)
    z = rng.normal(0, 1.0, (points, intrinsic))
    X = means[y] + np.einsum("ni,nid->nd", z, bases[y]) + rng.normal(0, 0.3, (points, dims))
    return X.astype(np.float32), y.astype(np.int64)


def cifar_features() -> tuple[np.ndarray, np.ndarray]:
    """256-d features of the 20,000 CIFAR-10 JPEGs (train + test) by an untrained cnn4 (seed 0), cached."""
    path = RESULTS / "cifar10_all_cnn4_untrained.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return data["features"], data["labels"]
    sys.path.insert(0, str(ROOT))
    import torch
    from PIL import Image

    from replearn_core.checkpoints import untrained_encoder
    from replearn_core.features import encode_images

    images, labels = [], []
    for split in ("train", "test"):
        folder = CIFAR / split
        if not folder.is_dir():
            raise SystemExit(f"CIFAR-10 images not found at {folder}")
        for c, name in enumerate(sorted(p.name for p in folder.iterdir() if p.is_dir())):
            for f in sorted((folder / name).glob("*.jpg")):
                images.append(np.asarray(Image.open(f).convert("RGB").resize((32, 32))).transpose(2, 0, 1))
                labels.append(c)
    feats = encode_images(untrained_encoder("cnn4", 0), torch.from_numpy(np.stack(images)),
                          torch.device("cpu")).numpy()
    RESULTS.mkdir(parents=True, exist_ok=True)
    np.savez(path, features=feats, labels=np.array(labels))
    return feats, np.array(labels)


def features(points: int) -> tuple[np.ndarray, np.ndarray]:
    if points > CIFAR_POINTS:
        return synthetic(points)
    X, y = cifar_features()
    if points < len(X):  # a seeded sample, the same for every method
        keep = np.sort(np.random.default_rng(0).permutation(len(X))[:points])
        X, y = X[keep], y[keep]
    return X, y


def source(points: int) -> str:
    return (f"synthetic 10-class Gaussian mixture, {points:,} × 256" if points > CIFAR_POINTS else
            f"untrained cnn4 (256-d) on {points:,} CIFAR-10 JPEGs (train + test)")


# rough warm seconds per 1,000 points on the 2-core development machine, to skip rows that would take too long
COST_PER_1000 = {"ours-pca": 0.02, "ours-tsne": 0.8, "ours-umap": 0.5, "opentsne": 1.5, "umap-learn": 0.8,
                 "sklearn-tsne": 15.0}


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
    if impl == "opentsne":
        from openTSNE import TSNE
        return TSNE(random_state=0, n_jobs=2)
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
        estimator = make(impl)
        Y = np.asarray(estimator.fit(X) if impl == "opentsne" else estimator.fit_transform(X))
        out["fit_s"].append(time.perf_counter() - t0)
        out["cpu_s"].append(time.process_time() - c0)
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.model_selection import cross_val_score

    out["knn2d"] = float(cross_val_score(KNeighborsClassifier(10), Y, y, cv=5).mean())
    rows = np.sort(np.random.default_rng(0).permutation(len(X))[:TRUST_SAMPLE])
    out["trust"] = float(trustworthiness(X[rows], Y[rows], n_neighbors=10))
    return out


def spawn(impl: str, points: int, repeats: int, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--worker", impl, "--points", str(points), "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{impl} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", default="5000,20000,100000", help="comma-separated sizes")
    parser.add_argument("--worker")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="skip a row estimated to take longer")
    parser.add_argument("--skip-references", action="store_true", help="skip openTSNE, umap-learn and scikit-learn")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, int(args.points), args.repeats)))
        return
    sizes = [int(p) for p in str(args.points).split(",") if p.strip()]
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at start")
    header = ("points", "features", "method", "cold, empty JIT cache (s)", "first use after start (s)", "warm (s)",
              "warm CPU (s)", "import (s)", "map 10-NN acc (2-D, 5-fold)",
              f"trustworthiness (k = 10, on {TRUST_SAMPLE:,} seeded points)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(points, name, cold, r):
        cells = [f"{points:,}", source(points), name, "-" if cold is None else f"{cold:.2f}", f"{r['fit_s'][0]:.2f}",
                 f"{r['fit_s'][-1]:.2f}", f"{r['cpu_s'][-1]:.2f}", f"{r['import_s']:.2f}", f"{r['knn2d']:.3f}",
                 f"{r['trust']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)

    def skipped(points, name):
        lines.append(f"| {points:,} | {source(points)} | {name} | skipped: estimated over {args.max_seconds:.0f} s |"
                     + " |" * (len(header) - 4))
        print(lines[-1], flush=True)

    for points in sizes:
        features(points)  # build (and cache) the features before any timing
        with tempfile.TemporaryDirectory() as empty_cache:
            for impl in ("ours-pca", "ours-tsne", "ours-umap"):
                if COST_PER_1000[impl] * points / 1000 > args.max_seconds or (impl == "ours-tsne" and points > 50_000):
                    skipped(points, impl)
                    continue
                env = {"NUMBA_CACHE_DIR": empty_cache}
                cold = spawn(impl, points, 1, env)  # compiles, fills the cache
                row(points, impl, cold["fit_s"][0], spawn(impl, points, args.repeats, env))  # loads the cache
        if not args.skip_references:
            for impl in ("opentsne", "umap-learn", "sklearn-tsne"):
                if COST_PER_1000[impl] * points / 1000 > args.max_seconds:
                    skipped(points, impl + " (defaults)")
                    continue
                row(points, impl + " (defaults)", None, spawn(impl, points, args.repeats, {}))
    table = "\n".join(lines)
    print(table)
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "projection.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
