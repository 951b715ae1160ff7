"""Export a map: coordinates as CSV, and features + metadata as the TensorFlow Embedding Projector's TSVs.

The Embedding Projector (https://projector.tensorflow.org, "Load") reads two files:
``features.tsv`` (one point per line, dimensions separated by tabs, no header) and ``metadata.tsv``
(a header line naming the columns, then one line per point in the same order).
"""

from __future__ import annotations

import csv
import io

import numpy as np

CSV_COLUMNS = ("index", "x", "y", "label", "class_name")


def _clean(text: str) -> str:
    return str(text).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def coordinates_csv(coords, labels, class_names, indices=None) -> str:
    """CSV text with columns index, x, y, label, class_name (one row per point)."""
    coords = np.asarray(coords)
    labels = np.asarray(labels)
    indices = np.arange(len(coords)) if indices is None else np.asarray(indices)
    if not len(coords) == len(labels) == len(indices):
        raise ValueError("coordinates, labels and indices must have the same length")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i, (x, y), lab in zip(indices, coords, labels):
        writer.writerow([int(i), f"{float(x):.6g}", f"{float(y):.6g}", int(lab), class_names[int(lab)]])
    return buf.getvalue()


def read_coordinates_csv(text: str) -> dict[str, np.ndarray]:
    """Read :func:`coordinates_csv` output back into arrays."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError(f"expected columns {', '.join(CSV_COLUMNS)}")
    return {"index": np.array([int(r["index"]) for r in rows], dtype=np.int64),
            "coords": np.array([[float(r["x"]), float(r["y"])] for r in rows], dtype=np.float32).reshape(-1, 2),
            "label": np.array([int(r["label"]) for r in rows], dtype=np.int64),
            "class_name": np.array([r["class_name"] for r in rows], dtype=object)}


def projector_tsv(features, labels, class_names, indices=None) -> tuple[str, str]:
    """(features.tsv, metadata.tsv) texts for the TensorFlow Embedding Projector."""
    features = np.asarray(features, dtype=np.float32)
    labels = np.asarray(labels)
    indices = np.arange(len(features)) if indices is None else np.asarray(indices)
    if not len(features) == len(labels) == len(indices):
        raise ValueError("features, labels and indices must have the same length")
    feats = "".join("\t".join(f"{v:.6g}" for v in row) + "\n" for row in features)
    meta = "class\tlabel\tindex\n" + "".join(
        f"{_clean(class_names[int(lab)])}\t{int(lab)}\t{int(i)}\n" for lab, i in zip(labels, indices))
    return feats, meta


def read_projector_tsv(features_text: str, metadata_text: str) -> tuple[np.ndarray, list[dict]]:
    """Read the two TSVs back: features (N, D) and one dict per metadata row."""
    rows = [line.split("\t") for line in features_text.splitlines() if line]
    feats = np.array(rows, dtype=np.float32)
    lines = metadata_text.splitlines()
    header = lines[0].split("\t")
    meta = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    if len(meta) != len(feats):
        raise ValueError(f"{len(feats)} feature rows but {len(meta)} metadata rows")
    return feats, meta
