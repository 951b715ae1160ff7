"""Feature maps of runs: the one function the page and the command line both call.

``map_run(store, "20261124-...", method="umap")`` loads the run's latest encoder checkpoint,
encodes its dataset's test images (cached per run and checkpoint), projects them to 2-D (cached per
checkpoint, method and parameters), scores them, and returns a :class:`FeatureMap`.

The scores on the features (:func:`run_scores`) are not taken on the map's points: the checkpoint
encodes the run's own bank of training images and its held-out images, chosen as the trainer chooses
them, so the kNN accuracy under the map is the one the run reported for that checkpoint.

The control is the untrained encoder: source ``"init:<run id>"`` uses that run's backbone and dataset
with random weights (:func:`replearn_core.checkpoints.untrained_encoder`); ``"init"`` alone uses the
``backbone`` and ``dataset`` arguments.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
import time
from dataclasses import dataclass, field, fields

import numpy as np
import torch

from replearn_core.data import EvaluationImages
from replearn_core.i18n import Message
from replearn_core.options import Option, resolve_options
from replearn_core.projection.cache import ArrayCache

MAX_POINTS = 100_000  # the most images a map shows (a split with more is sampled)
SPLITS = ("test", "all")  # "all" = train and test images, for more points than the test split has


def _distance(help_text: str) -> Option:
    return Option("metric", "euclidean", "Distance", help_text, choices=("euclidean", "cosine"))


@dataclass(frozen=True)
class Projection:
    """A way to map features to 2-D: its estimator and its knobs, typed (what the page draws, the command line
    and :func:`map_run` accept). Adding one is its estimator and one entry of :data:`PROJECTIONS`."""
    name: str
    title: str
    estimator_ref: type | str  # fit_transform(X (n, D)) -> (n, 2); "module:Class" is imported on first use
    options: tuple[Option, ...]
    animates: bool = False  # keeps snapshots of the layout while it fits (``snapshot_every``: the animation)
    places_new_points: bool = True  # False: the map is an optimisation over exactly these points (t-SNE)
    warms_up: bool = False  # its code is compiled or loaded in the background first (:func:`start_warm_up`)
    # CPU seconds per 1,000 points of 256-d features, measured by bench/projection.py at 20,000 points on the
    # 2-core development machine (warm); what :func:`estimate_seconds` scales
    cpu_s_per_1000: float = 0.05
    max_points: int = MAX_POINTS  # the most points it may map at all (t-SNE's optimisation grows past usefulness)

    @property
    def estimator(self) -> type:
        """The estimator class (its module, with numba and scipy, is imported only when a map needs it: a page
        that draws a shipped map never pays for it)."""
        if isinstance(self.estimator_ref, str):
            module, _, name = self.estimator_ref.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.estimator_ref


PROJECTIONS: dict[str, Projection] = {
    "umap": Projection("umap", "UMAP", "replearn_core.projection.umap:UMAP", (
        Option("n_neighbors", 15, "n_neighbors", "Size of the neighbourhood UMAP looks at (2–200). Small: local "
               "detail; large: the global arrangement of the classes.", 2, 200, step=1),
        Option("min_dist", 0.1, "min_dist", "How tightly points may be packed in the map (0–1). Small: dense "
               "clumps; large: an even spread.", 0.0, 0.99, step=0.01),
        _distance("How distance between features is measured: euclidean, or cosine (angle only)."),
        Option("random_state", 0, "Seed", "Seed of UMAP's random negative samples and of the subsample: same "
               "seed, same map.", 0, 10_000)), warms_up=True, cpu_s_per_1000=0.5),
    "tsne": Projection("tsne", "t-SNE", "replearn_core.projection.tsne:TSNE", (
        Option("perplexity", 30.0, "Perplexity", "About how many neighbours each point tries to keep close "
               "(5–50). Small: many tight little clumps; large: smoother, more global picture. Must be below "
               "the number of points.", 5.0, 50.0, step=1.0),
        _distance("How distance between features is measured before mapping: euclidean, or cosine (angle "
                  "only; what contrastive methods such as SimCLR optimise)."),
        Option("random_state", 0, "Seed", "Seed for the subsample (t-SNE itself starts from PCA, so it is "
               "deterministic).", 0, 10_000)), animates=True, places_new_points=False, warms_up=True,
                       cpu_s_per_1000=0.75, max_points=50_000),
    "pca": Projection("pca", "PCA", "replearn_core.projection.pca:PCA", (
        Option("random_state", 0, "Seed", "PCA is deterministic; the seed only picks the subsample of points.",
               0, 10_000),), cpu_s_per_1000=0.02),
}
TIME_BUDGET_S = 60.0  # a map that would take longer than this on this machine is not offered (:func:`fits`)
_REFERENCE_SPEED_S = 0.0065  # CPU seconds of :func:`machine_speed`'s workload on the machine that measured the costs


def machine_speed() -> float:
    """How much slower this machine's CPU is than the one that measured ``cpu_s_per_1000`` (1.0 = the same;
    2.0 = twice as slow), from a fixed small workload timed in CPU seconds (so other jobs on the machine do not
    count), measured once per process."""
    if "speed" not in _machine:
        keys = np.random.default_rng(0).random(300_000)
        best = np.inf
        for _ in range(3):  # single-threaded work (a sort, no BLAS); the fastest of three, in CPU seconds
            t0 = time.process_time()
            np.sort(np.sin(keys) * keys)
            best = min(best, time.process_time() - t0)
        _machine["speed"] = max(best, 1e-4) / _REFERENCE_SPEED_S
    return _machine["speed"]


_machine: dict = {}


def estimate_seconds(method: str, points: int) -> float:
    """About how many seconds ``method`` takes to map ``points`` points on this machine, warm (its compiled code
    loaded): the measured CPU seconds per 1,000 points, scaled by :func:`machine_speed`. An estimate to choose
    with, not a promise: a busy machine is slower."""
    projection = PROJECTIONS[method]
    return projection.cpu_s_per_1000 * points / 1000 * machine_speed()


def max_points(method: str, budget_s: float = TIME_BUDGET_S) -> int:
    """The most points ``method`` maps within ``budget_s`` seconds on this machine, and never more than its
    ``max_points`` (t-SNE: 50,000) or :data:`MAX_POINTS`."""
    projection = PROJECTIONS[method]
    affordable = int(budget_s / max(projection.cpu_s_per_1000 * machine_speed(), 1e-9) * 1000)
    return max(3, min(affordable, projection.max_points, MAX_POINTS))


def fits(method: str, points: int, budget_s: float = TIME_BUDGET_S) -> bool:
    """Whether ``method`` can map ``points`` points on this machine within ``budget_s`` seconds (the page offers
    only the projections that fit the chosen number of points: :func:`projection_limits`)."""
    return 3 <= int(points) <= max_points(method, budget_s)


def projection_limits(budget_s: float = TIME_BUDGET_S) -> dict[str, dict]:
    """For the page: per projection, ``max_points`` on this machine, the ``seconds`` estimated at 20,000
    points, and ``ready`` (its compiled code is loaded: :func:`projection_ready`)."""
    return {name: {"max_points": max_points(name, budget_s), "seconds_20k": round(estimate_seconds(name, 20_000), 1),
                   "ready": projection_ready(name)} for name in PROJECTIONS}


def fit_params_to_points(method: str, params: dict, points: int) -> tuple[dict, Message | None]:
    """``params`` with the neighbourhood shrunk to the largest that ``points`` points allow, and a one-line note
    saying so (None when nothing changed): UMAP's n_neighbors at most the number of points; t-SNE's
    perplexity at most (points - 1) / 3 (t-SNE looks at 3 × perplexity neighbours)."""
    params = dict(params)
    if method == "umap" and int(params["n_neighbors"]) > points:
        used = max(2, int(points))
        note = Message("maps.fewer_points_umap", n=int(points), asked=int(params["n_neighbors"]), used=used)
        params["n_neighbors"] = used
        return params, note
    if method == "tsne" and 3 * float(params["perplexity"]) > points - 1:
        used = max(1.0, float(int((points - 1) / 3 * 10) / 10))
        note = Message("maps.fewer_points_tsne", n=int(points), asked=f"{float(params['perplexity']):g}",
                       used=f"{used:g}")
        params["perplexity"] = used
        return params, note
    return params, None

# the settings of a run's configuration that choose and score its evaluation images
EVALUATION_SETTINGS = tuple(f.name for f in fields(EvaluationImages))

_features = ArrayCache("features", max_in_memory=8)
_maps = ArrayCache("feature_maps", max_in_memory=32)


class FeatureMapError(ValueError):
    """A map could not be made; the message says why and what to do."""


@dataclass
class FeatureMap:
    source: str  # run id, "init:<run id>" or "init"
    source_label: str  # how the page names it
    checkpoint: str  # which checkpoint (or "untrained (seed S)")
    method: str
    params: dict
    coords: np.ndarray  # (n, 2) float32
    labels: np.ndarray  # (n,) int64
    class_names: list[str]
    indices: np.ndarray  # (n,) positions of the points in the dataset split (for thumbnails)
    features: np.ndarray | None  # (n, D) float32, what was projected (None on a shipped map: :func:`ensure_features`)
    dataset: str
    split: str
    image_size: int
    scores: dict
    wall_s: float  # the whole call
    timings: dict  # seconds per stage
    notes: list[str] = field(default_factory=list)  # subsampling and dropped rows, said plainly
    cached: bool = False  # the map came from the cache
    history: list[np.ndarray] = field(default_factory=list)  # t-SNE snapshots, for the animation
    groups: np.ndarray | None = None  # (n,) int64 another colouring: the domain (0 source, 1 target) of an
    group_names: list[str] = field(default_factory=list)  # adaptation run's points; None for other runs
    fallback_from: str | None = None  # the projection asked for, when this map is PCA because it was not ready
    images: np.ndarray | None = None  # (n, 3, H, W) uint8 when the points' images are stored with the map
    shipped: bool = False  # drawn from the map shipped with a reference run (:func:`shipped_map`): ``features``
    # is None until :func:`ensure_features` encodes them (a click's neighbours, the feature export)

    def summary(self) -> dict:
        """JSON-able: what the command line prints."""
        return {"source": self.source, "checkpoint": self.checkpoint, "method": self.method,
                "params": self.params, "points": int(len(self.coords)), "dataset": self.dataset,
                "split": self.split, "scores": self.scores, "wall_s": round(self.wall_s, 3),
                "timings": {k: round(v, 3) for k, v in self.timings.items()}, "cached": self.cached,
                "notes": self.notes, "fallback_from": self.fallback_from,
                "groups": None if self.groups is None else dict(zip(self.group_names,
                                                                    np.bincount(self.groups).tolist()))}


def make_projection(method: str, params: dict | None = None, snapshot_every: int = 0):
    """An unfitted estimator for ``method`` with the given knobs (unknown knobs are an error)."""
    params = projection_params(method, params)
    if PROJECTIONS[method].animates and snapshot_every:
        params["snapshot_every"] = snapshot_every
    return PROJECTIONS[method].estimator(**params)


def projection_params(method: str, params: dict | None = None) -> dict:
    """Every knob of ``method``: the given ones checked and typed against its declared options (an unknown
    knob, a value of the wrong type or out of range is a :class:`FeatureMapError` naming it), the defaults
    for the others."""
    if method not in PROJECTIONS:
        raise FeatureMapError(f"unknown projection {method!r}; use one of {', '.join(PROJECTIONS)}")
    try:
        return resolve_options(PROJECTIONS[method].options, params, method)
    except ValueError as exc:
        raise FeatureMapError(*exc.args) from None


# --- features --------------------------------------------------------------------------
def _resolve(store, source: str, backbone: str | None, dataset: str | None, seed: int, checkpoint: str | None):
    """(encoder factory, cache key part, label, checkpoint name, dataset spec, image size)."""
    from replearn_core.checkpoints import checkpoint_artifacts, load_run_encoder, untrained_encoder

    if source == "init" or source.startswith("init:"):
        run_cfg = {}
        if source.startswith("init:"):
            run_cfg = store.get_run(source[5:]).config
        backbone_name = backbone or run_cfg.get("backbone") or _run_backbone(store, source[5:]) or "small_cnn"
        spec = dataset or run_cfg.get("dataset") or "shapes"
        size = int(run_cfg.get("image_size", 32))
        name = f"untrained (seed {seed})"
        label = f"untrained {backbone_name}" + (f" (control for {source[5:]})" if source.startswith("init:") else "")
        return (lambda: untrained_encoder(backbone_name, seed)), f"init|{backbone_name}|{seed}", label, name, spec, size
    run = store.get_run(source)
    ckpts = checkpoint_artifacts(store, source)
    if checkpoint:
        ckpts = [a for a in ckpts if a.name == checkpoint]
    if not ckpts:
        status = f" (it is {run.status})" if run.status != "finished" else ""
        raise FeatureMapError(f"run {source}{status} has no stored encoder checkpoint"
                              + (f" named {checkpoint!r}" if checkpoint else "")
                              + ", so there are no features to map yet. Pick another run, wait for its first "
                                "checkpoint, or map the untrained encoder as a control.")
    artifact = ckpts[-1]
    cfg = run.config
    spec = dataset or cfg.get("dataset") or "shapes"
    size = int(cfg.get("image_size", 32))
    label = f"{cfg.get('method') or run.kind} · {source}"
    key = f"run|{source}|{artifact.name}|{artifact.created}"
    return (lambda: load_run_encoder(store, source, artifact.name)[0]), key, label, artifact.name, spec, size


def _run_backbone(store, run_id: str) -> str | None:
    from replearn_core.checkpoints import checkpoint_artifacts

    ckpts = checkpoint_artifacts(store, run_id)
    return ckpts[-1].meta.get("backbone") if ckpts else None


def _load_split(spec: str, split: str, size: int):
    from replearn_core.data import load_dataset

    if split not in SPLITS:
        raise FeatureMapError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return load_dataset(spec, split, size)


def run_features(store, source: str, split: str = "test", backbone: str | None = None,
                 dataset: str | None = None, seed: int = 0, checkpoint: str | None = None) -> dict:
    """Features of up to :data:`MAX_POINTS` images of the split: {"features" (N, D), "labels" (N,), "indices" (N,)} + info.

    Cached per (source, checkpoint, dataset, split, image size), in memory and on disk.
    """
    try:
        factory, key_part, label, ckpt_name, spec, size = _resolve(store, source, backbone, dataset, seed, checkpoint)
    except KeyError as exc:
        raise FeatureMapError(f"no run with id {source!r}") from exc
    key = f"{key_part}|{spec}|{split}|{size}|{MAX_POINTS}"
    info = {"label": label, "checkpoint": ckpt_name, "dataset": spec, "image_size": size}
    hit = _features.get(key)
    data = _load_split(spec, split, size)
    if hit is not None:
        arrays, meta = hit
        return dict(arrays, class_names=meta["class_names"], cached=True, **info)
    if len(data) == 0:
        raise FeatureMapError(f"the {split} split of {spec} has no images")
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:MAX_POINTS].sort().values
    encoder = factory()
    from replearn_core.features import encode_images

    feats = encode_images(encoder, data.images[order]).numpy().astype(np.float32)  # (N, D)
    arrays = {"features": feats, "labels": data.labels[order].numpy().astype(np.int64),
              "indices": order.numpy().astype(np.int64)}
    _features.put(key, arrays, {"class_names": list(data.class_names)})
    return dict(arrays, class_names=list(data.class_names), cached=False, **info)


def evaluation_config(store, source: str, dataset: str | None = None) -> EvaluationImages:
    """The :class:`~replearn_core.data.EvaluationImages` that pick a source's evaluation images.

    The run's own settings (for ``"init:<run id>"``, that run's); the defaults for what it does not set
    (a metric-learning or supervised run uses the same names). Another ``dataset`` than the run's drops
    the run's ``eval_dataset``: the held-out images are then that dataset's test split.
    """
    run_id = None if source == "init" else source[5:] if source.startswith("init:") else source
    run_config = store.get_run(run_id).config if run_id else {}
    settings = {name: run_config[name] for name in EVALUATION_SETTINGS if run_config.get(name) is not None}
    if dataset and dataset != settings.get("dataset"):
        settings.update(dataset=dataset)
        settings.pop("eval_dataset", None)
    return EvaluationImages(**settings)


def run_scores(store, source: str, backbone: str | None = None, dataset: str | None = None,
               checkpoint: str | None = None) -> dict:
    """kNN accuracy, linear probe and k-means NMI of a checkpoint's features, as the run measures itself.

    The checkpoint (or the untrained control) encodes the run's bank of training images and its
    held-out images, both chosen by :meth:`replearn_core.data.EvaluationImages.splits` from the run's settings
    (:func:`evaluation_config`), and :func:`~replearn_core.projection.scores.score_features` scores them.
    So ``knn_accuracy`` equals the ``knn_acc`` the run logged for this checkpoint (an SSL run's
    backbone; a metric-learning run logs it on its embedding head instead). Also returns
    ``bank_images``, ``heldout_images`` and ``knn_k``. Cached per checkpoint and settings.
    """
    from replearn_core.features import encode_images

    try:
        factory, key_part, _, _, _, _ = _resolve(store, source, backbone, dataset, 0, checkpoint)
        config = evaluation_config(store, source, dataset)
    except KeyError as exc:
        raise FeatureMapError(f"no run with id {source!r}") from exc
    settings = {name: getattr(config, name) for name in EVALUATION_SETTINGS}
    key = "scores|" + json.dumps({"of": key_part, "settings": settings}, sort_keys=True)
    hit = _maps.get(key)
    if hit is not None:
        return hit[1]["scores"]
    _, bank, heldout = config.splits()
    encoder = factory()
    bank_features = encode_images(encoder, bank.images)  # (N, D)
    heldout_features = encode_images(encoder, heldout.images)  # (M, D)
    info = {"bank_images": len(bank), "heldout_images": len(heldout), "knn_k": config.knn_k}
    if not (torch.isfinite(bank_features).all() and torch.isfinite(heldout_features).all()):
        note = "the encoder gives NaN or infinite features for some images: it has diverged"
        scores = {name: None for name in ("knn_accuracy", "linear_probe_accuracy", "kmeans_nmi")}
        scores.update({f"{name}_note": note for name in list(scores)})
    else:
        from replearn_core.projection.scores import score_features

        scores = score_features(bank_features, bank.labels, heldout_features, heldout.labels, k=config.knn_k,
                                num_classes=max(bank.num_classes, heldout.num_classes))
    scores.update(info)
    _maps.put(key, {"none": np.zeros(0, dtype=np.float32)}, {"scores": scores})
    return scores


def map_images(feature_map: FeatureMap, positions) -> torch.Tensor:
    """The uint8 images (k, 3, H, W) of the map's points at ``positions`` (indices into the map)."""
    if feature_map.images is not None:  # stored with the map (an adaptation run's two domains)
        return torch.as_tensor(feature_map.images[np.asarray(positions, dtype=np.int64)])
    data = _load_split(feature_map.dataset, feature_map.split, feature_map.image_size)
    positions = np.asarray(positions, dtype=np.int64)
    return data.images[torch.as_tensor(feature_map.indices[positions])]


def _is_adaptation(store, run_id: str) -> bool:
    try:
        return store.get_run(run_id).kind == "adapt"
    except KeyError:
        return False


def adaptation_features(store, run_id: str, name: str | None = None) -> dict:
    """The features of an adaptation run's ``feature_map`` artifact (the last, or the one named): what
    :func:`run_features` returns, plus ``groups`` (0 source, 1 target), ``group_names``, the stored ``images``
    when there are, and ``scores`` from the run's summary. The artifact must hold ``features`` (N, D),
    ``labels`` and ``domain``; one that holds only its 2-D PCA coordinates cannot be mapped again."""
    from safetensors.numpy import load_file

    run = store.get_run(run_id)
    artifacts = [a for a in store.artifacts(run_id, kind="feature_map") if a.path.exists()]
    if name:
        artifacts = [a for a in artifacts if a.name == name]
    if not artifacts:
        raise FeatureMapError(Message("maps.no_adaptation_map", run_id=run_id))
    artifact = artifacts[-1]
    tensors = load_file(str(artifact.path))
    if "features" not in tensors:
        raise FeatureMapError(Message("maps.adaptation_without_features", run_id=run_id))
    features = tensors["features"].astype(np.float32)
    cfg, summary = run.config, run.summary or {}
    method = artifact.meta.get("method") or artifact.name.removeprefix("map_")
    out = {"features": features, "labels": tensors["labels"].astype(np.int64),
           "indices": np.arange(len(features), dtype=np.int64), "groups": tensors["domain"].astype(np.int64),
           "group_names": [f"source: {cfg.get('source')}", f"target: {cfg.get('target')}"],
           "class_names": [str(c) for c in range(int(tensors["labels"].max()) + 1)],
           "label": f"{method} · {run_id}", "checkpoint": artifact.name, "dataset": str(cfg.get("target")),
           "image_size": int(cfg.get("image_size", 16)), "cached": False,
           "scores": {"target_acc": (summary.get("target_acc") or {}).get(method),
                      "domain_gap": summary.get("domain_gap_after"), "class_match": summary.get("class_match_after")}}
    if "images" in tensors:
        out["images"] = tensors["images"].astype(np.uint8)
    return out


def projection_ready(method: str) -> bool:
    """Whether ``method`` can map now without compiling: PCA always; t-SNE and UMAP once their numba code is
    compiled or loaded in this process (:func:`warm_up`). A page shows PCA (``map_run(..., fallback="pca")``)
    until then rather than wait."""
    if not PROJECTIONS[method].warms_up:
        return True
    if _warm_state["done"] and "error" not in _warm_state:
        return True
    from replearn_core.projection import tsne, umap

    compiled = {"umap": (umap._optimize_layout,), "tsne": (tsne._attractive_forces, tsne._spread_charges,
                                                            tsne._gather_potentials, tsne._gradient_step)}
    return all(f.signatures for f in compiled.get(method, ()))


# --- the map shipped with a reference run ---------------------------------------------------
FIRST_MAP = "first_map"  # name and kind of a reference run's shipped map (``first_map.safetensors``)
FIRST_MAP_SETTINGS = {"method": "umap", "max_points": 5000, "split": "test"}  # the Feature maps page's defaults
_shipped: dict = {}  # path -> (mtime, tensors, meta): a shipped map read once per process


def first_map_file(fmap: FeatureMap, asked: dict, max_points: int, total: int) -> tuple[dict, dict]:
    """A map as the small file a reference run ships (``first_map.safetensors``): coordinates in float16, labels
    uint16 and image numbers int32 (about 10 kB for 1,000 points), and as metadata what it was made from (method,
    params, split, the requested number of points, the split's size ``total``, the checkpoint, dataset, class
    names; ``asked``: the params requested, before :func:`fit_params_to_points`) and its scores, so that :func:`shipped_map` draws it without the encoder, a projection or a score."""
    tensors = {"coords": np.ascontiguousarray(fmap.coords, dtype=np.float16),
               "labels": np.ascontiguousarray(fmap.labels, dtype=np.uint16),
               "indices": np.ascontiguousarray(fmap.indices, dtype=np.int32)}
    meta = {"method": fmap.method, "params": fmap.params, "asked": asked, "split": fmap.split, "max_points": int(max_points),
            "total": int(total), "checkpoint": fmap.checkpoint, "dataset": fmap.dataset,
            "image_size": int(fmap.image_size), "class_names": list(fmap.class_names), "label": fmap.source_label,
            "scores": {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in fmap.scores.items()}}
    return tensors, {"map": json.dumps(meta, sort_keys=True)}


def _read_shipped(path) -> tuple[dict, dict] | None:
    from safetensors import safe_open

    try:
        mtime = path.stat().st_mtime
        hit = _shipped.get(str(path))
        if hit is None or hit[0] != mtime:
            with safe_open(str(path), "np") as f:
                tensors = {name: f.get_tensor(name) for name in f.keys()}
                meta = json.loads((f.metadata() or {})["map"])
            _shipped[str(path)] = hit = (mtime, tensors, meta)
    except (OSError, KeyError, ValueError):  # a damaged file: the map is computed as for any run
        return None
    return hit[1], hit[2]


def shipped_map(store, source: str, method: str, params: dict | None, max_points: int, split: str = "test",
                checkpoint: str | None = None, backbone: str | None = None, dataset: str | None = None,
                snapshot_every: int = 0) -> FeatureMap | None:
    """The map a reference run ships (its ``first_map`` artifact: the page's default map, made when the run was
    exported) when the request is exactly the one it was made for, else None. Exactly: the same projection,
    params, split, checkpoint (the run's latest) and dataset, no animation, and the same points (every image of
    the split when both ask for at least as many, else the same seeded subsample). Needs no encoder, no dataset and no
    compiled projection: what the first map of a fresh data folder draws within a second. ``features`` is None;
    :func:`ensure_features` encodes them when they are needed."""
    from replearn_core.checkpoints import checkpoint_artifacts

    if backbone or snapshot_every or source == "init" or source.startswith("init:"):
        return None
    artifact = store.artifact(source, FIRST_MAP)
    if artifact is None or artifact.kind != FIRST_MAP or not artifact.path.exists():
        return None
    read = _read_shipped(artifact.path)
    if read is None:
        return None
    tensors, meta = read
    latest = checkpoint_artifacts(store, source)[-1:]
    wanted = json.dumps(projection_params(method, params), sort_keys=True)
    total = int(meta.get("total", 0))
    if (meta.get("method") != method or meta.get("split") != split
            or min(int(max_points), total) != min(int(meta.get("max_points", 0)), total)
            or json.dumps(meta.get("asked", meta.get("params")), sort_keys=True) != wanted
            or not latest or latest[0].name != meta.get("checkpoint") or (checkpoint and checkpoint != latest[0].name)
            or (dataset and dataset != meta.get("dataset"))):
        return None
    notes = []
    if total > max_points:
        notes.append(Message("maps.sampled", n=int(max_points), total=total, split=split,
                             seed=int(meta["params"].get("random_state") or 0)))
    elif total < max_points and split == "test":
        notes.append(Message("maps.all_test", total=total))
    fitted_note = fit_params_to_points(method, projection_params(method, params), len(tensors["coords"]))[1]
    if fitted_note:
        notes.append(fitted_note)
    return FeatureMap(source=source, source_label=meta.get("label") or source, checkpoint=meta["checkpoint"],
                      method=method, params=meta["params"], coords=tensors["coords"].astype(np.float32),
                      labels=tensors["labels"].astype(np.int64), class_names=list(meta["class_names"]),
                      indices=tensors["indices"].astype(np.int64), features=None, dataset=meta["dataset"],
                      split=split, image_size=int(meta["image_size"]), scores=dict(meta.get("scores") or {}),
                      wall_s=0.0, timings={}, notes=notes, cached=True, shipped=True)


def ensure_features(store, fmap: FeatureMap) -> FeatureMap:
    """``fmap`` with its ``features`` (a shipped map has none until asked: a click's neighbours, the feature
    export): the run's features of the map's images (:func:`run_features`, cached), in the map's order."""
    if fmap.features is None:
        feats = run_features(store, fmap.source, fmap.split, checkpoint=fmap.checkpoint)
        order = np.argsort(feats["indices"])
        at = order[np.clip(np.searchsorted(feats["indices"], fmap.indices, sorter=order), 0, len(order) - 1)]
        if not np.array_equal(feats["indices"][at], fmap.indices):
            raise FeatureMapError(f"the features of {fmap.source} do not hold every image of its shipped map; "
                                  f"draw the map again")
        fmap.features = feats["features"][at]
    return fmap


# --- maps --------------------------------------------------------------------------------
def map_run(store, source: str, method: str = "umap", params: dict | None = None, max_points: int = 5000,
            split: str = "test", backbone: str | None = None, dataset: str | None = None,
            checkpoint: str | None = None, snapshot_every: int = 0, use_cache: bool = True,
            user=None, fallback: str | None = None, shipped: bool = False) -> FeatureMap:
    """Map the features of a run (or the untrained control) to 2-D and score them.

    source: a run id, ``"init:<run id>"`` (that run's backbone, untrained) or ``"init"`` (``backbone``).
    user: who asks (``replearn_core.runs.access``; default: the local user, who sees every run): a run they
    may not see is "no run with that id", the same as an id that does not exist.
    params: the method's knobs (its declared options in :data:`PROJECTIONS`); ``random_state`` also seeds the subsample.
    max_points: at most this many images (≤ :data:`MAX_POINTS`, and the projection's own ``max_points``); a
    seeded random subsample, said so in ``notes``. Fewer points than the neighbourhood asked for (UMAP's
    n_neighbors, t-SNE's perplexity): the largest that fits is used, with a note (:func:`fit_params_to_points`).
    snapshot_every: for t-SNE, keep the map every this many iterations (the animation).
    fallback: a projection to draw instead (``"pca"``) while ``method``'s compiled code is not loaded yet
    (:func:`projection_ready`), so a page never waits on a compile: the map then has ``fallback_from`` =
    ``method`` and a note, and the warm-up has been started; ask again when it is ready. None: wait for it.
    shipped: draw a reference run's shipped map when the request is exactly the one it was made for
    (:func:`shipped_map`: no encoder, no projection; ``features`` None until :func:`ensure_features`).

    An adaptation run (kind ``"adapt"``) is mapped from the features its ``feature_map`` artifacts store
    (``checkpoint`` names one, e.g. ``"map_dann"``; default the last), with ``groups`` = domain (0 source,
    1 target) beside the classes; its feature scores are those of the run's summary, not recomputed.
    """
    from replearn_core.runs import access

    start = time.perf_counter()
    if source != "init":  # the access gate, before anything of the run is read
        access.get_run(store, user or access.LOCAL, source[len("init:"):] if source.startswith("init:") else source)
    params = projection_params(method, params)  # unknown method or knob: fail before any work
    seed = int(params.get("random_state") or 0)
    max_points = int(max_points)
    if not 3 <= max_points <= MAX_POINTS:
        raise FeatureMapError(f"the number of points must be between 3 and {MAX_POINTS:,}, got {max_points}")
    if max_points > PROJECTIONS[method].max_points:
        raise FeatureMapError(Message("maps.too_many_points", method=PROJECTIONS[method].title, n=max_points,
                                      limit=PROJECTIONS[method].max_points))
    if shipped and use_cache:
        fmap = shipped_map(store, source, method, params, max_points, split, checkpoint, backbone, dataset,
                           snapshot_every)
        if fmap is not None:
            fmap.wall_s = time.perf_counter() - start
            return fmap
    timings = {}
    adaptation = source != "init" and not source.startswith("init:") and _is_adaptation(store, source)
    if adaptation:
        feats = adaptation_features(store, source, checkpoint)
    else:
        feats = run_features(store, source, split, backbone, dataset, 0, checkpoint)
    timings["features_s"] = time.perf_counter() - start
    X, y, idx = feats["features"], feats["labels"], feats["indices"]
    groups, images = feats.get("groups"), feats.get("images")
    notes = []
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        if finite.sum() < 3:
            raise FeatureMapError(f"all but {int(finite.sum())} of the {len(X)} feature vectors contain NaN or "
                                  f"infinite values: the encoder has diverged. Use an earlier checkpoint.")
        notes.append(Message("maps.nonfinite", n=int((~finite).sum()), total=len(X)))
        X, y, idx = X[finite], y[finite], idx[finite]
        groups = None if groups is None else groups[finite]
        images = None if images is None else images[finite]
    total = len(X)
    if total > max_points:
        keep = np.sort(np.random.default_rng(seed).permutation(total)[:max_points])
        X, y, idx = X[keep], y[keep], idx[keep]
        groups = None if groups is None else groups[keep]
        images = None if images is None else images[keep]
        notes.append(Message("maps.sampled", n=max_points, total=total, split=split, seed=seed))
    elif total < max_points and split == "test" and not adaptation:
        notes.append(Message("maps.all_test", total=total))
    params, fitted_note = fit_params_to_points(method, params, len(X))
    if fitted_note:
        notes.append(fitted_note)

    key_features = json.dumps({"features": feats["checkpoint"], "source": source, "dataset": feats["dataset"],
                               "split": split, "n": int(len(X)), "ids": hashlib.sha1(idx.tobytes()).hexdigest(),
                               "fkey": hashlib.sha1(X[:50].tobytes()).hexdigest()}, sort_keys=True)
    key = json.dumps({"of": key_features, "method": method, "params": params, "snap": snapshot_every,
                      "scores": "2-D only"}, sort_keys=True)
    hit = _maps.get(key) if use_cache else None
    if hit is None and fallback and fallback != method and not projection_ready(method):
        start_warm_up()  # compiled in the background; this call draws the fallback now
        fmap = map_run(store, source, fallback, {"random_state": seed}, max_points, split, backbone, dataset,
                       checkpoint, 0, use_cache, user, None)
        fmap.fallback_from = method
        fmap.notes.append(Message("maps.fallback", method=PROJECTIONS[method].title,
                                  fallback=PROJECTIONS[fallback].title))
        return fmap
    history = []
    if hit is not None:
        arrays, meta = hit
        coords, scores, cached = arrays["coords"], meta["scores"], True
        history = list(arrays["history"]) if "history" in arrays else []
        timings.update(meta.get("timings", {}))
    else:
        if PROJECTIONS[method].warms_up:
            wait_for_warm_up()
        t0 = time.perf_counter()
        # params were checked above, then perhaps shrunk below the page's range to fit few points
        snapshots = {"snapshot_every": snapshot_every} if PROJECTIONS[method].animates and snapshot_every else {}
        estimator = PROJECTIONS[method].estimator(**params, **snapshots)
        try:
            coords = estimator.fit_transform(X)[:, :2].astype(np.float32)
        except ValueError as exc:
            raise FeatureMapError(f"{method}: {exc}") from exc
        timings["projection_s"] = time.perf_counter() - t0
        history = list(getattr(estimator, "history_", []))
        t0 = time.perf_counter()
        from replearn_core.projection.scores import score_2d

        scores = score_2d(coords, y, seed=seed)
        timings["map_score_s"] = time.perf_counter() - t0
        cached = False
        arrays = {"coords": coords}
        if history:
            arrays["history"] = np.stack(history)
        _maps.put(key, arrays, {"scores": scores, "timings": {k: v for k, v in timings.items() if k != "features_s"}})
    t0 = time.perf_counter()
    feature_scores = feats["scores"] if adaptation else run_scores(store, source, backbone, dataset, checkpoint)
    scores = {**feature_scores, **scores}
    timings["feature_scores_s"] = time.perf_counter() - t0
    return FeatureMap(source=source, source_label=feats["label"], checkpoint=feats["checkpoint"], method=method,
                      params=params, coords=coords, labels=y, class_names=feats["class_names"], indices=idx,
                      features=X, dataset=feats["dataset"], split=split, image_size=feats["image_size"],
                      scores=scores, wall_s=time.perf_counter() - start, timings=timings, notes=notes,
                      cached=cached, history=history, groups=groups, group_names=feats.get("group_names", []),
                      images=images)


# --- warm-up -----------------------------------------------------------------------------
_warm_lock = threading.Lock()
_warm_state = {"started": False, "done": False, "seconds": None}
_warm_done = threading.Event()


def wait_for_warm_up(timeout: float = 60.0) -> None:
    """If the background warm-up is compiling, wait for it rather than compile the same code twice."""
    if _warm_state["started"] and not _warm_done.is_set():
        _warm_done.wait(timeout)


def warm_up() -> float:
    """Compile (or load from the disk cache) the numba code of t-SNE and UMAP on tiny data; seconds taken."""
    t0 = time.perf_counter()
    from replearn_core.projection.neighbors import approximate_knn
    from replearn_core.projection.tsne import EXACT_BELOW, TSNE
    from replearn_core.projection.umap import UMAP

    X = np.random.default_rng(0).standard_normal((200, 8)).astype(np.float32)
    TSNE(perplexity=10, n_iter=20).fit(X)
    TSNE(perplexity=10, n_iter=2).fit(np.random.default_rng(0).standard_normal((EXACT_BELOW + 1, 8)))  # FFT path
    umap = UMAP(n_neighbors=10, n_epochs=5).fit(X)
    umap.transform(X[:5])
    approximate_knn(X, 5, trees=1, descent_rounds=1)
    return time.perf_counter() - t0


def start_warm_up() -> dict:
    """Start :func:`warm_up` once per process in a background thread; returns its state dict."""
    with _warm_lock:
        if not _warm_state["started"]:
            _warm_state["started"] = True

            def work():
                try:
                    _warm_state["seconds"] = warm_up()
                except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs speed; the map says why
                    _warm_state["error"] = str(exc)
                finally:
                    _warm_state["done"] = True
                    _warm_done.set()

            threading.Thread(target=work, name="projection-warm-up", daemon=True).start()
    return _warm_state
