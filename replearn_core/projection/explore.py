"""What a map viewer asks of a drawn map: a point's neighbours in feature space, a selection's class counts and
exports, the map's density and k-means cluster labels, and a spatial index for hovering.

Every function takes a :class:`~replearn_core.projection.maps.FeatureMap` (what :func:`map_run` returns) or its
arrays, and returns numbers and plain dicts (``to_json``) a browser view can draw; none needs Streamlit.

- :func:`point_neighbours`: the k most similar points of one point *in feature space* (cosine similarity, the
  kNN of the run's score: :func:`replearn_core.evaluation.nearest_by_cosine`), beside its k nearest on the 2-D
  map, and how many the two lists share: where the map keeps the features' neighbourhoods, and where it lies.
- :func:`selection_summary`, :func:`selection_csv`, :func:`selection_zip`: a box or lasso selection's class
  counts, its ids and labels as CSV, and its images as PNG files in a zip, built in memory.
- :func:`density_grid`: a kernel density estimate of the map on a grid (contours or shading).
- :func:`map_clusters`: k-means of the 2-D points, with each cluster's centre (where its label goes) and its
  majority class.
- :func:`spatial_index`, :func:`nearest_point`: a uniform grid of buckets over the map, so a hover looks at a
  few dozen points instead of all 100,000 (what the viewer needs is in :func:`spatial_index`'s docstring).
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from replearn_core.i18n import Message

MAX_EXPORT_IMAGES = 10_000  # images in one zip: 10,000 small PNGs are a few tens of MB at 32 px
MAX_EXPORT_BYTES = 200 * 1024 * 1024  # a zip larger than this is refused, not built
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed time stamps: the same selection gives the same bytes


class SelectionError(ValueError):
    """A selection that cannot be used (an index outside the map, too many images for one zip)."""


def positions_of(fmap, positions) -> np.ndarray:
    """Checked map positions: integers in [0, points), each once, in the given order. Anything else (a float,
    a negative or too large index, a string) is a :class:`SelectionError`, never an IndexError deeper down."""
    n = len(fmap.coords)
    try:
        arr = np.asarray(list(positions) if not isinstance(positions, np.ndarray) else positions)
    except TypeError:
        raise SelectionError(Message("maps.bad_selection", n=n)) from None
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= n:
        raise SelectionError(Message("maps.bad_selection", n=n))
    _, first = np.unique(arr, return_index=True)
    return arr[np.sort(first)].astype(np.int64)


# --- neighbours -------------------------------------------------------------------------
@dataclass
class Neighbours:
    """A point's k nearest neighbours in feature space and on the map (positions are indices into the map)."""
    point: int
    positions: np.ndarray  # (k,) most cosine-similar first
    similarities: np.ndarray  # (k,) cos(f_point, f_j)
    distances: np.ndarray  # (k,) 1 - cos, the feature-space distance shown to the student
    labels: np.ndarray  # (k,) their classes
    map_positions: np.ndarray  # (k,) nearest on the 2-D map
    map_distances: np.ndarray  # (k,) euclidean, in map units
    shared: int  # how many points are in both lists: k = the map kept the neighbourhood

    def to_json(self, class_names: list[str] | None = None) -> dict:
        def name(label):
            return class_names[int(label)] if class_names else int(label)

        return {"point": self.point, "shared": self.shared, "k": len(self.positions),
                "features": [{"position": int(p), "class": name(c), "label": int(c), "similarity": float(s),
                              "distance": float(d)} for p, c, s, d in
                             zip(self.positions, self.labels, self.similarities, self.distances)],
                "map": [{"position": int(p), "distance": float(d)} for p, d in
                        zip(self.map_positions, self.map_distances)]}


def point_neighbours(fmap, position: int, k: int = 10) -> Neighbours:
    """The ``k`` most similar points of map point ``position`` in feature space, and its ``k`` nearest on the map.

    Similarity is the cosine of the features, the same top-k search that scores the run
    (:func:`replearn_core.evaluation.nearest_by_cosine`, used by ``knn_accuracy``); the point itself is left
    out. ``shared`` counts the points in both lists: a map that keeps neighbourhoods shares most of them.

    >>> nb = point_neighbours(fmap, 42, k=8)
    >>> nb.positions, nb.distances, nb.shared     # (8,), (8,) 1 - cos, 0..8
    """
    from replearn_core.evaluation import nearest_by_cosine

    (point,) = positions_of(fmap, [position])
    n = len(fmap.coords)
    k = max(0, min(int(k), n - 1))
    if k == 0:
        empty = np.zeros(0)
        return Neighbours(int(point), empty.astype(np.int64), empty, empty, empty.astype(np.int64),
                          empty.astype(np.int64), empty, 0)
    sim, idx = nearest_by_cosine(fmap.features, fmap.features[point:point + 1], k, exclude=[int(point)])
    sim, idx = sim[0].numpy().astype(np.float64), idx[0].numpy().astype(np.int64)
    d2 = ((fmap.coords - fmap.coords[point]) ** 2).sum(1).astype(np.float64)  # (N,)
    d2[point] = np.inf
    near = np.argpartition(d2, k - 1)[:k] if k < n - 1 else np.flatnonzero(np.isfinite(d2))
    near = near[np.argsort(d2[near], kind="stable")]
    return Neighbours(int(point), idx, sim, 1.0 - sim, np.asarray(fmap.labels)[idx], near, np.sqrt(d2[near]),
                      len(set(idx.tolist()) & set(near.tolist())))


# --- selections -------------------------------------------------------------------------
def selection_summary(fmap, positions) -> dict:
    """{"count", "classes": [{"label", "class", "count"}, ...] most frequent first} of the selected points."""
    pos = positions_of(fmap, positions)
    labels = np.asarray(fmap.labels)[pos]
    values, counts = np.unique(labels, return_counts=True)
    order = np.lexsort((values, -counts))
    return {"count": int(len(pos)),
            "classes": [{"label": int(values[i]), "class": fmap.class_names[int(values[i])], "count": int(counts[i])}
                        for i in order]}


SELECTION_COLUMNS = ("position", "index", "label", "class_name", "x", "y")


def _cell(text) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab, a CR) gets a leading '."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def selection_csv(fmap, positions) -> str:
    """CSV of the selected points: position (in the map), index (the image's number in its split), label,
    class_name, x, y. Class names come from folder names, so a cell that a spreadsheet would run as a formula
    is quoted with a leading '."""
    pos = positions_of(fmap, positions)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SELECTION_COLUMNS)
    for p in pos:
        label = int(fmap.labels[p])
        x, y = fmap.coords[p]
        writer.writerow([int(p), int(fmap.indices[p]), label, _cell(fmap.class_names[label]),
                         f"{float(x):.6g}", f"{float(y):.6g}"])
    return buf.getvalue()


def _safe_name(text: str, limit: int = 40) -> str:
    """A file-name part made only of letters, digits, '-' and '_' (a class name may hold '../' or '/')."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_")[:limit] or "class"


def selection_zip(fmap, positions, images=None) -> bytes:
    """A zip (bytes, built in memory) of the selected images as PNG files, ``<position>_<class>_<index>.png``,
    and ``selection.csv`` (:func:`selection_csv`). ``images``: the uint8 images (k, 3, H, W) of those
    positions in that order (default: read with :func:`~replearn_core.projection.maps.map_images`).

    More than :data:`MAX_EXPORT_IMAGES` images, or a zip that would pass :data:`MAX_EXPORT_BYTES`, is a
    :class:`SelectionError` before or while it is built, never a file that fills the memory.
    """
    from PIL import Image

    pos = positions_of(fmap, positions)
    if len(pos) > MAX_EXPORT_IMAGES:
        raise SelectionError(Message("maps.selection_too_large", n=len(pos), limit=MAX_EXPORT_IMAGES))
    if images is None:
        from replearn_core.projection.maps import map_images

        images = map_images(fmap, pos) if len(pos) else np.zeros((0, 3, 1, 1), dtype=np.uint8)
    images = np.asarray(images.cpu() if hasattr(images, "cpu") else images)
    if len(images) != len(pos):
        raise ValueError(f"{len(images)} images for {len(pos)} positions")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:  # PNG is compressed already
        archive.writestr(zipfile.ZipInfo("selection.csv", _ZIP_DATE), selection_csv(fmap, pos))
        for p, image in zip(pos, images):
            png = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0)).astype(np.uint8)).save(png, "PNG")
            name = f"{int(p):06d}_{_safe_name(fmap.class_names[int(fmap.labels[p])])}_{int(fmap.indices[p])}.png"
            archive.writestr(zipfile.ZipInfo(name, _ZIP_DATE), png.getvalue())
            if buf.tell() > MAX_EXPORT_BYTES:
                raise SelectionError(Message("maps.selection_too_large", n=len(pos), limit=MAX_EXPORT_IMAGES))
    return buf.getvalue()


# --- density and clusters ---------------------------------------------------------------
def _bounds(coords: np.ndarray, margin: float = 0.05) -> tuple[float, float, float, float]:
    lo, hi = coords.min(0).astype(np.float64), coords.max(0).astype(np.float64)
    pad = np.maximum(hi - lo, 1e-6) * margin
    return float(lo[0] - pad[0]), float(lo[1] - pad[1]), float(hi[0] + pad[0]), float(hi[1] + pad[1])


def density_grid(coords, size: int = 128, bandwidth: float | None = None, labels=None,
                 levels: tuple[float, ...] = (0.5, 0.8, 0.95)) -> dict:
    """A Gaussian kernel density estimate of the 2-D points on a ``size`` × ``size`` grid.

    The points are binned (a 2-D histogram), then smoothed with a Gaussian of standard deviation ``bandwidth``
    map units (default Scott's rule, σ_d · N^(-1/6) per axis, the mean of the two): O(N + size²), so 100,000
    points cost no more than 1,000. ``values`` (size, size) float32, rows = y from bottom to top, scaled to a
    maximum of 1; ``thresholds``: for each of ``levels``, the density above which that share of the points
    lie (draw them as contours: 0.5 = the densest half). With ``labels`` also ``per_class`` (C, size, size).

    Returned: {"x0", "y0", "x1", "y1", "size", "bandwidth", "values", "thresholds", "levels"[, "per_class"]}.
    """
    from scipy.ndimage import gaussian_filter

    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) == 0:
        raise ValueError("density_grid needs (N, 2) points, N ≥ 1")
    size = int(np.clip(size, 8, 1024))
    x0, y0, x1, y1 = _bounds(coords)
    if bandwidth is None:
        bandwidth = float(np.mean(np.maximum(coords.std(0), 1e-6)) * max(len(coords), 2) ** (-1 / 6))
    sigma = (bandwidth / ((x1 - x0) / size), bandwidth / ((y1 - y0) / size))  # in cells, per axis

    def smooth(points):
        hist, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=size, range=[[y0, y1], [x0, x1]])
        return gaussian_filter(hist, sigma=(sigma[1], sigma[0]), mode="constant")

    values = smooth(coords)
    scale = max(values.max(), 1e-30)
    values = values / scale
    # each point's density, to find the level that a share of the points lie above
    ix = np.clip(((coords[:, 0] - x0) / (x1 - x0) * size).astype(int), 0, size - 1)
    iy = np.clip(((coords[:, 1] - y0) / (y1 - y0) * size).astype(int), 0, size - 1)
    at_points = np.sort(values[iy, ix])[::-1]
    thresholds = [float(at_points[min(int(level * len(at_points)), len(at_points) - 1)]) for level in levels]
    out = {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "size": size, "bandwidth": bandwidth,
           "values": values.astype(np.float32), "levels": list(levels), "thresholds": thresholds}
    if labels is not None:
        labels = np.asarray(labels)
        classes = int(labels.max()) + 1 if len(labels) else 0
        out["per_class"] = np.stack([smooth(coords[labels == c]) / scale for c in range(classes)]).astype(np.float32)
    return out


def map_clusters(coords, n_clusters: int = 10, seed: int = 0, labels=None, class_names=None) -> dict:
    """k-means (scikit-learn's ``KMeans``) of the 2-D map points: clusters *of the picture*, to label it.

    Returned: {"assignments" (N,) int, "centres" (C, 2) (where to draw each label), "sizes" (C,), and with
    ``labels`` "majority" (C,) each cluster's most frequent class and "purity" (C,) its share; with
    ``class_names`` "names" (C,), e.g. "cat" for the label}. Fewer points than clusters: one cluster per point.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    coords = np.asarray(coords, dtype=np.float64)
    c = int(max(1, min(int(n_clusters), len(coords))))
    with threadpool_limits(1):  # one thread: on a busy CPU OpenMP's spin-waiting threads are many times slower
        km = KMeans(n_clusters=c, n_init=3, random_state=seed).fit(coords)
    assign = km.labels_.astype(np.int64)
    out = {"assignments": assign, "centres": km.cluster_centers_.astype(np.float32),
           "sizes": np.bincount(assign, minlength=c).astype(np.int64)}
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        table = np.zeros((c, int(labels.max()) + 1), dtype=np.int64)
        np.add.at(table, (assign, labels), 1)
        out["majority"] = table.argmax(1)
        out["purity"] = (table.max(1) / np.maximum(table.sum(1), 1)).astype(np.float32)
        if class_names is not None:
            out["names"] = [str(class_names[int(m)]) for m in out["majority"]]
    return out


# --- hover ------------------------------------------------------------------------------
def spatial_index(coords, points_per_cell: float = 4.0) -> dict:
    """A uniform grid of buckets over the map, for finding the point under the mouse among 100,000.

    The map's bounding box is cut into ``nx`` × ``ny`` square cells of side ``cell`` (about
    ``points_per_cell`` points per cell on average). ``order`` lists the point positions sorted by cell
    (cell = cy · nx + cx, with cx = floor((x - x0) / cell) clipped to [0, nx)), and ``starts`` (nx·ny + 1)
    where each cell's run begins: the points of cell c are ``order[starts[c]:starts[c + 1]]`` (CSR layout).

    What the viewer needs: ``coords`` (N, 2) float32, this dict's ``x0, y0, cell, nx, ny`` and the int32
    arrays ``starts`` and ``order`` (:func:`browser_payload` packs them as base64). On a mouse move at map
    point (x, y) it scans the cells of rings r = 0, 1, 2, ... around (x, y)'s cell, and stops after the ring
    where its best squared distance is below (r · cell)²: no unscanned point can be nearer. A hover costs
    a few cells, whatever N. :func:`nearest_point` is the same lookup in Python (the reference for tests).
    """
    coords = np.asarray(coords, dtype=np.float32)
    n = len(coords)
    x0, y0 = (float(v) for v in coords.min(0)) if n else (0.0, 0.0)
    x1, y1 = (float(v) for v in coords.max(0)) if n else (1.0, 1.0)
    width, height = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    cells_wanted = max(1.0, n / float(points_per_cell))
    cell = max(float(np.sqrt(width * height / cells_wanted)), max(width, height) / 2000, 1e-9)
    nx, ny = int(min(width // cell + 1, 2048)), int(min(height // cell + 1, 2048))
    cx = np.clip(((coords[:, 0] - x0) / cell).astype(np.int64), 0, nx - 1)
    cy = np.clip(((coords[:, 1] - y0) / cell).astype(np.int64), 0, ny - 1)
    cell_of = cy * nx + cx
    order = np.argsort(cell_of, kind="stable").astype(np.int32)
    starts = np.zeros(nx * ny + 1, dtype=np.int32)
    np.cumsum(np.bincount(cell_of, minlength=nx * ny), out=starts[1:])
    return {"x0": x0, "y0": y0, "cell": cell, "nx": nx, "ny": ny, "starts": starts, "order": order}


def nearest_point(index: dict, coords, x: float, y: float, max_distance: float | None = None) -> int | None:
    """The position of the map point nearest to (x, y) by the grid of :func:`spatial_index` (None: no point,
    or none within ``max_distance``). Looks at the cells ring by ring, as the viewer does."""
    coords = np.asarray(coords, dtype=np.float32)
    if len(coords) == 0:
        return None
    nx, ny, cell = index["nx"], index["ny"], index["cell"]
    cx = int(np.clip((x - index["x0"]) // cell, 0, nx - 1))
    cy = int(np.clip((y - index["y0"]) // cell, 0, ny - 1))
    best, best_d2 = None, np.inf
    starts, order = index["starts"], index["order"]
    for r in range(max(nx, ny) + 1):
        for gy in range(cy - r, cy + r + 1):
            if not 0 <= gy < ny:
                continue
            for gx in range(cx - r, cx + r + 1):
                if not 0 <= gx < nx or max(abs(gx - cx), abs(gy - cy)) != r:  # the ring only
                    continue
                members = order[starts[gy * nx + gx]:starts[gy * nx + gx + 1]]
                if len(members):
                    d2 = ((coords[members] - (x, y)) ** 2).sum(1)
                    j = int(d2.argmin())
                    if d2[j] < best_d2:
                        best, best_d2 = int(members[j]), float(d2[j])
        # a point of ring r + 1 or further is at least r·cell away from (x, y), which lies in ring 0's cell
        if best is not None and best_d2 <= (r * cell) ** 2:
            break
        if max_distance is not None and r * cell > max_distance:
            break
    if best is None or (max_distance is not None and best_d2 > max_distance ** 2):
        return None
    return best


def _b64(array: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode()


def browser_payload(fmap, with_index: bool = True) -> dict:
    """What a browser view needs to draw and hover a map of up to 100,000 points, compactly: the coordinates
    (float32), labels (uint16) and image numbers (int32) as little-endian base64 strings (JavaScript:
    ``new Float32Array(Uint8Array.from(atob(s), c => c.charCodeAt(0)).buffer)``), the class names, and the
    :func:`spatial_index` (its ``starts`` and ``order`` as base64 int32). 100,000 points: about 1.9 MB of
    text, against ~6 MB as JSON numbers."""
    coords = np.asarray(fmap.coords, dtype=np.float32)
    out = {"points": int(len(coords)), "coords": _b64(coords, np.float32), "labels": _b64(fmap.labels, np.uint16),
           "indices": _b64(fmap.indices, np.int32), "class_names": [str(c) for c in fmap.class_names]}
    if getattr(fmap, "groups", None) is not None:
        out["groups"] = _b64(fmap.groups, np.uint16)
        out["group_names"] = [str(g) for g in fmap.group_names]
    if with_index:
        index = spatial_index(coords)
        out["index"] = {k: (_b64(v, np.int32) if isinstance(v, np.ndarray) else v) for k, v in index.items()}
    return out
