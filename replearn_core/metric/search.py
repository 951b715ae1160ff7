"""Search by example: embed a query image with a metric run's model and return its nearest images.

The gallery is the run's held-out evaluation split (the images its Precision@1 and
MAP@R were measured on), embedded once per run and cached.

>>> result = search(run_id, query_uint8, k=8)           # query (3, H, W) or (H, W, 3) uint8
>>> [(n.index, n.distance, n.correct) for n in result.neighbours]
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from replearn_core.checkpoints import load_run_encoder, read_state_file
from replearn_core.data.base import resize_uint8
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore


@dataclass
class Neighbour:
    index: int  # position in the gallery
    distance: float  # Euclidean distance between l2-normalised embeddings, 0..2
    label: int
    class_name: str
    image: np.ndarray  # (H, W, 3) uint8
    correct: bool | None  # same class as the query; None when the query's class is unknown


@dataclass
class SearchResult:
    run_id: str
    query_label: int | None
    neighbours: list[Neighbour]


@dataclass
class Gallery:
    images: torch.Tensor  # (N, 3, H, W) uint8
    labels: torch.Tensor  # (N,)
    class_names: list[str]
    embeddings: torch.Tensor  # (N, D) l2-normalised
    model: nn.Module  # backbone + embedding head, eval mode, on the CPU
    image_size: int


class _Embedder(nn.Module):
    def __init__(self, backbone: nn.Module, head: nn.Module | None):
        super().__init__()
        self.backbone = backbone
        self.head = head if head is not None else nn.Identity()

    def forward(self, x):
        return self.head(self.backbone(x))


def load_metric_model(store: RunStore, run_id: str) -> tuple[nn.Module, dict]:
    """The run's final encoder with its embedding head (the space retrieval was trained in)."""
    run = store.get_run(run_id)
    if run.kind != "metric":
        raise ValueError(f"run {run_id} is a {run.kind} run, not a metric-learning run")
    backbone, config = load_run_encoder(store, run_id, "checkpoint_final")
    head = None
    artifact = store.artifact(run_id, "embedding_head")
    if artifact is not None and artifact.path.exists():
        state = read_state_file(artifact.path)
        weight = state["weight"]
        head = nn.Linear(weight.shape[1], weight.shape[0])
        head.load_state_dict(state)
    return _Embedder(backbone, head).eval(), config


@lru_cache(maxsize=4)
def _gallery(root: str, run_id: str) -> Gallery:
    from replearn_core.features import encode_images
    from replearn_core.data import held_out_images
    from replearn_core.metric.config import MetricConfig

    store = open_store(root)
    try:
        model, config_dict = load_metric_model(store, run_id)
    finally:
        store.close()
    config = MetricConfig.from_dict(config_dict)
    # the run's own held-out images, the ones its retrieval was scored on (EvaluationImages.splits)
    split = held_out_images(config.dataset, config.eval_dataset, config.image_size, config.eval_images)
    embeddings = F.normalize(encode_images(model, split.images, torch.device("cpu")), dim=1)
    return Gallery(split.images, split.labels, split.class_names, embeddings, model.cpu(), config.image_size)


def gallery(run_id: str, store: RunStore | None = None) -> Gallery:
    """The held-out images of a finished metric run, with their embeddings (cached per run)."""
    store = store or open_store()
    run = store.get_run(run_id)
    if run.status != "finished":
        raise ValueError(f"run {run_id} is {run.status}; search needs a finished run")
    return _gallery(str(store.root), run_id)


def image_from_bytes(data: bytes, name: str = "the file") -> np.ndarray:
    """Decode an uploaded image file into (H, W, 3) uint8; a clear ValueError if it is not an image, is damaged
    or is a decompression bomb."""
    from replearn_core.data.images import read_full_image, unreadable_upload

    try:
        return read_full_image(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - whatever PIL raises, the user gets the reason
        raise unreadable_upload(name, exc) from exc


def _as_chw(query, size: int) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(query))
    if x.dtype != torch.uint8:
        raise ValueError(f"the query image must be uint8, got {x.dtype}")
    if x.dim() == 2:
        x = x[None].repeat(3, 1, 1)
    elif x.dim() == 3 and x.shape[-1] in (1, 3, 4) and x.shape[0] not in (1, 3):
        x = x.permute(2, 0, 1)  # (H, W, C) -> (C, H, W)
    if x.dim() != 3 or x.shape[0] not in (1, 3, 4):
        raise ValueError(f"the query must be an image (H, W, 3) or (3, H, W), got shape {tuple(x.shape)}")
    x = x[:3] if x.shape[0] >= 3 else x.repeat(3, 1, 1)
    return resize_uint8(x[None].contiguous(), size)  # (1, 3, S, S)


@torch.no_grad()
def search(run_id: str, query_image_uint8, k: int = 8, store: RunStore | None = None,
           query_label: int | None = None, exclude_index: int | None = None) -> SearchResult:
    """The k gallery images nearest to the query in the run's embedding space, nearest first.

    exclude_index: a gallery index to leave out (when the query was picked from the gallery).
    """
    from replearn_core.features import encode_images

    g = gallery(run_id, store)
    if not 1 <= int(k) <= len(g.labels):
        raise ValueError(f"k must be between 1 and {len(g.labels)}")
    query = _as_chw(query_image_uint8, g.image_size)
    q = F.normalize(encode_images(g.model, query, torch.device("cpu")), dim=1)[0]  # (D,)
    distances = (g.embeddings - q).norm(dim=1)  # (N,)
    if exclude_index is not None:
        distances[int(exclude_index)] = float("inf")
    order = distances.argsort()[:int(k)]
    neighbours = []
    for i in order.tolist():
        label = int(g.labels[i])
        neighbours.append(Neighbour(i, float(distances[i]), label, g.class_names[label],
                                    g.images[i].permute(1, 2, 0).numpy(),
                                    None if query_label is None else label == int(query_label)))
    return SearchResult(run_id, query_label, neighbours)


def comparison_table(store: RunStore, user=None) -> list[dict]:
    """One row per finished metric run the user may see: its settings and its retrieval scores, best MAP@R
    first."""
    from replearn_core.runs.access import LOCAL, list_runs

    rows = []
    for run in list_runs(store, user or LOCAL, kind="metric", status="finished"):
        s, c = run.summary, run.config
        rows.append({"run": run.id, "method": c.get("method"), "dataset": c.get("dataset"),
                     "backbone": c.get("backbone"), "epochs": s.get("epochs_done", c.get("epochs")),
                     "train time (s)": s.get("train_time_s"), "Precision@1": s.get("precision_at_1"),
                     "Recall@5": s.get("recall_at_5"), "Recall@10": s.get("recall_at_10"),
                     "MAP@R": s.get("map_at_r"), "kNN acc": s.get("knn_acc")})
    return sorted(rows, key=lambda r: -(r["MAP@R"] or 0))
