"""Plotly figures for feature maps: one trace per class (so the legend toggles classes), and the
t-SNE animation. Drawing only; nothing here computes a map."""

from __future__ import annotations

import io

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from replearn_core.projection.maps import FeatureMap


def class_colors(n: int) -> list[str]:
    palette = px.colors.qualitative.Plotly if n <= 10 else px.colors.qualitative.Dark24 + px.colors.qualitative.Light24
    return [palette[i % len(palette)] for i in range(n)]


def map_figure(fmap: FeatureMap, height: int = 520) -> go.Figure:
    """Scatter of the map, one WebGL trace per class. customdata = (position in the map, dataset index)."""
    fig = go.Figure()
    colors = class_colors(len(fmap.class_names))
    size = 6 if len(fmap.coords) <= 2000 else 4
    for c, name in enumerate(fmap.class_names):
        pos = np.flatnonzero(fmap.labels == c)
        if len(pos) == 0:
            continue
        fig.add_trace(go.Scattergl(
            x=fmap.coords[pos, 0], y=fmap.coords[pos, 1], mode="markers", name=name,
            marker=dict(size=size, color=colors[c], opacity=0.8),
            customdata=np.stack([pos, fmap.indices[pos]], axis=1),
            hovertemplate=f"<b>{name}</b> (label {c})<br>image %{{customdata[1]}}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), dragmode="lasso",
                      legend=dict(itemsizing="constant", title="class (click to hide)"),
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
    names = np.array(fmap.class_names, dtype=object)[fmap.labels]
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
