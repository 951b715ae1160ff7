"""Drawing feature maps: the map viewer (``viewer/index.html``, one self-contained page of HTML and JavaScript,
built here with its data: :func:`viewer_data`, :func:`viewer_html`), Plotly figures (one trace per class, so the
legend toggles classes) and the t-SNE animation. Drawing only; nothing here computes a map."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from replearn_core.escape import html_text, script_json
from replearn_core.i18n import translate
from replearn_core.projection.maps import FeatureMap


def class_colors(n: int) -> list[str]:
    palette = px.colors.qualitative.Plotly if n <= 10 else px.colors.qualitative.Dark24 + px.colors.qualitative.Light24
    return [palette[i % len(palette)] for i in range(n)]


def map_figure(fmap: FeatureMap, height: int = 520, lang: str = "en") -> go.Figure:
    """Scatter of the map, one WebGL trace per class. customdata = (position in the map, dataset index)."""
    fig = go.Figure()
    colors = class_colors(len(fmap.class_names))
    size = 6 if len(fmap.coords) <= 2000 else 4
    for c, folder_name in enumerate(fmap.class_names):
        pos = np.flatnonzero(fmap.labels == c)
        if len(pos) == 0:
            continue
        name = html_text(folder_name)  # Plotly reads a few tags in labels: a class name shows as typed
        fig.add_trace(go.Scattergl(
            x=fmap.coords[pos, 0], y=fmap.coords[pos, 1], mode="markers", name=name,
            marker=dict(size=size, color=colors[c], opacity=0.8),
            customdata=np.stack([pos, fmap.indices[pos]], axis=1),
            hovertemplate=f"<b>{name}</b> (label {c})<br>image %{{customdata[1]}}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), dragmode="lasso",
                      legend=dict(itemsizing="constant", title=translate("chart.map_legend", lang)),
                      xaxis=dict(showticklabels=False, title=None), yaxis=dict(showticklabels=False, title=None))
    return fig


def selected_positions(fmap: FeatureMap, selection) -> list[int]:
    """Map positions of the points a Streamlit plotly selection picked (points, box or lasso)."""
    out = []
    for point in (selection or {}).get("points", []):
        custom = point.get("customdata")
        if custom is not None:
            out.append(int(custom[0]))
            continue
        # without customdata: the trace is a class, point_index its position among that class's points
        curve, index = point.get("curve_number"), point.get("point_index")
        if curve is None or index is None:
            continue
        present = [c for c in range(len(fmap.class_names)) if (fmap.labels == c).any()]
        if curve < len(present):
            pos = np.flatnonzero(fmap.labels == present[curve])
            if index < len(pos):
                out.append(int(pos[index]))
    return sorted(set(out))


def animation_figure(fmap: FeatureMap, height: int = 520) -> go.Figure | None:
    """t-SNE unfolding: one frame per stored snapshot (None when the map has no snapshots)."""
    if not fmap.history:
        return None
    frames = np.stack(fmap.history).astype(np.float64)  # (F, n, 2)
    # each frame scaled to the same box: the early map is tiny (it starts at 1e-4), the shape is what matters
    frames = frames / np.maximum(np.abs(frames).max(axis=(1, 2), keepdims=True), 1e-12)
    names = np.array([html_text(name) for name in fmap.class_names], dtype=object)[fmap.labels]
    step = max(1, len(frames) // 30)
    keep = list(range(0, len(frames), step)) + ([len(frames) - 1] if (len(frames) - 1) % step else [])
    rows = {"x": np.concatenate([frames[f, :, 0] for f in keep]),
            "y": np.concatenate([frames[f, :, 1] for f in keep]),
            "frame": np.repeat(np.array(keep) * snapshot_every(fmap), len(fmap.labels)),
            "class": np.tile(names, len(keep))}
    lim = 1.05
    fig = px.scatter(rows, x="x", y="y", animation_frame="frame", color="class", height=height,
                     range_x=[-lim, lim], range_y=[-lim, lim],
                     color_discrete_sequence=class_colors(len(fmap.class_names)))
    fig.update_traces(marker=dict(size=4))
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10), xaxis_title=None, yaxis_title=None)
    return fig


def snapshot_every(fmap: FeatureMap) -> int:
    n_iter = 500
    return max(1, round(n_iter / max(len(fmap.history) - 1, 1)))


def png_bytes(image_chw) -> bytes:
    """A uint8 (3, H, W) image as PNG bytes."""
    from PIL import Image

    arr = np.asarray(image_chw).transpose(1, 2, 0)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def thumbnail_atlas(images, tile: int = 32, columns: int = 100) -> tuple[bytes, int]:
    """All thumbnails in one JPEG sprite sheet (rows of ``columns`` tiles), and the number of columns.

    One image instead of one per point keeps the hover view light: 5,000 CIFAR-sized tiles are ~1 MB.
    """
    from PIL import Image

    from replearn_core.data import resize_uint8

    thumbs = resize_uint8(images, tile) if images.shape[-1] != tile else images  # (n, 3, tile, tile)
    n = len(thumbs)
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    sheet = np.zeros((rows * tile, columns * tile, 3), dtype=np.uint8)
    arr = thumbs.permute(0, 2, 3, 1).numpy()  # (n, tile, tile, 3)
    for i in range(n):
        r, c = divmod(i, columns)
        sheet[r * tile:(r + 1) * tile, c * tile:(c + 1) * tile] = arr[i]
    buf = io.BytesIO()
    Image.fromarray(sheet).save(buf, format="JPEG", quality=88)
    return buf.getvalue(), columns


VIEWER_DIR = Path(__file__).parent / "viewer"  # index.html: the map viewer, also served as a Streamlit component
SPRITES_UP_TO = 20_000  # maps this large carry every thumbnail in one sprite sheet; larger ones fetch on demand
IMAGES_ON_MAP_UP_TO = 2_000  # the viewer starts with images drawn on the map up to this many points
VIEWER_TEXT = ("pan", "box", "lasso", "images", "density", "clusters", "search", "reset", "clear", "by_class",
               "by_domain", "legend_hint", "label", "image", "loading", "neighbours_title", "distance", "selected",
               "matches", "no_match", "finding", "loaded")
GROUP_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]  # source, target (a domain adaptation run's points)


def _b64(array: np.ndarray) -> str:
    import base64

    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def map_key(fmap: FeatureMap) -> str:
    """Names one drawn map: the viewer reloads its arrays only when this changes."""
    import hashlib
    import json

    digest = hashlib.sha1(np.ascontiguousarray(fmap.coords, dtype=np.float32).tobytes()
                          + np.ascontiguousarray(fmap.indices).tobytes())
    digest.update(json.dumps([fmap.source, fmap.checkpoint, fmap.method, fmap.params, fmap.split],
                             sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def viewer_data(fmap: FeatureMap, images=None, height: int = 520, lang: str = "en", density: bool = True,
                clusters: bool = True) -> dict:
    """Everything the map viewer draws, compactly: the engine's browser payload (coordinates float32, labels
    uint16, image numbers int32 and the hover grid's arrays, as little-endian base64, :func:`browser_payload`),
    the colours, the density grid (uint8 base64, :func:`density_grid`), the k-means cluster labels
    (:func:`map_clusters`), the viewer's words in ``lang``, and for maps of at most :data:`SPRITES_UP_TO` points
    with ``images`` (uint8 (N, 3, H, W)) one JPEG sprite sheet of every thumbnail. Larger maps send no image:
    the viewer asks for the ones it shows (:func:`thumbnails`).

    100,000 points without images: about 2.5 MB of text, against ~6 MB for the coordinates alone as JSON numbers.
    """
    from replearn_core.projection.explore import browser_payload, density_grid, map_clusters

    n = len(fmap.coords)
    data = browser_payload(fmap)
    data.update(key=map_key(fmap), colours=class_colors(len(fmap.class_names)), height=int(height),
                group_colours=GROUP_COLOURS, images_on_map_up_to=IMAGES_ON_MAP_UP_TO,
                text={key: translate(f"viewer.{key}", lang) for key in VIEWER_TEXT})
    if density and n:
        grid = density_grid(fmap.coords, size=128)
        values = np.clip(np.round(grid["values"] * 255), 0, 255).astype(np.uint8)  # (size, size) rows bottom to top
        data["density"] = {k: grid[k] for k in ("x0", "y0", "x1", "y1", "size")}
        data["density"].update(values=_b64(values), thresholds=[float(v) for v in grid["thresholds"]])
    if clusters and n >= 2:
        found = map_clusters(fmap.coords, n_clusters=int(np.clip(len(fmap.class_names), 2, 20)),
                             labels=fmap.labels, class_names=fmap.class_names)
        data["clusters"] = {"centres": found["centres"].astype(float).round(5).tolist(),
                            "names": [str(name) for name in found["names"]],
                            "purity": found["purity"].astype(float).round(3).tolist()}
    if images is not None and 0 < n <= SPRITES_UP_TO:
        import base64

        tile = 32 if n <= 5000 else 24
        sheet, columns = thumbnail_atlas(images, tile)
        data["sprites"] = {"jpeg": base64.b64encode(sheet).decode(), "tile": tile, "columns": columns}
    return data


def viewer_html(data: dict) -> str:
    """The viewer as one standalone page (no external script, style or fetch) with ``data``
    (:func:`viewer_data`) in it. The data goes in last, as script-safe JSON (:func:`script_json`), so nothing in it
    is ever read as markup; the script shows every name with textContent or draws it on the canvas."""
    template = (VIEWER_DIR / "index.html").read_text(encoding="utf-8")
    return template.replace("/*__DATA__*/null", script_json(data), 1)


def thumbnails(fmap: FeatureMap, positions, size: int = 64) -> dict[str, str]:
    """{position: PNG as base64} of the map's points at ``positions`` (what the viewer asks for on hover, for a
    point's neighbours and a selection when the map has no sprite sheet). Images smaller than ``size`` are sent
    as they are; larger ones are shrunk to ``size``."""
    import base64

    from replearn_core.projection.maps import map_images

    positions = [int(p) for p in positions]
    if not positions:
        return {}
    images = map_images(fmap, positions)
    if images.shape[-1] > size:
        from replearn_core.data import resize_uint8

        images = resize_uint8(images, size)
    return {str(p): base64.b64encode(png_bytes(np.asarray(image))).decode() for p, image in zip(positions, images)}


def hover_map_html(fmap: FeatureMap, images, height: int = 520, lang: str = "en") -> str:
    """The map viewer as a standalone page (the map, its images, hover, zoom, selection, density and clusters;
    without the Streamlit round trip a click shows the neighbours on the map only). Cached per map: live pages
    redraw every few seconds."""
    key = (map_key(fmap), height, lang)
    if key in _HOVER_CACHE:
        return _HOVER_CACHE[key]
    html = viewer_html(viewer_data(fmap, images, height, lang))
    if len(_HOVER_CACHE) >= 8:
        _HOVER_CACHE.pop(next(iter(_HOVER_CACHE)))
    _HOVER_CACHE[key] = html
    return html


_HOVER_CACHE: dict[tuple, str] = {}
