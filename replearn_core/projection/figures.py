"""Plotly figures for feature maps: one trace per class (so the legend toggles classes), and the
t-SNE animation. Drawing only; nothing here computes a map."""

from __future__ import annotations

import io

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


def hover_map_html(fmap: FeatureMap, images, height: int = 520) -> str:
    """A self-contained canvas scatter (no external scripts) that shows the image under the mouse; its legend
    chips hide and show classes.

    Plotly cannot show images in its hover labels, so this view draws the points on an HTML canvas and,
    on mouse move, the nearest point's thumbnail (cut from one sprite sheet), class and image index.
    """
    import base64
    import hashlib
    import json

    key = (fmap.source, fmap.checkpoint, fmap.method, json.dumps(fmap.params, sort_keys=True), height,
           hashlib.sha1(fmap.coords.tobytes() + fmap.indices.tobytes()).hexdigest())
    if key in _HOVER_CACHE:  # live pages redraw every few seconds: do not rebuild the same sprite sheet
        return _HOVER_CACHE[key]
    tile = 32 if len(fmap.coords) <= 5000 else 24
    atlas, columns = thumbnail_atlas(images, tile)
    xy = fmap.coords.astype(np.float64)
    lo, span = xy.min(0), np.maximum(np.ptp(xy, axis=0), 1e-9)
    data = {"x": np.round((xy[:, 0] - lo[0]) / span[0], 5).tolist(),
            "y": np.round((xy[:, 1] - lo[1]) / span[1], 5).tolist(),
            "label": fmap.labels.astype(int).tolist(), "index": fmap.indices.astype(int).tolist(),
            "names": list(fmap.class_names), "colors": class_colors(len(fmap.class_names)),
            "columns": columns, "tile": tile, "aspect": float(span[1] / span[0])}
    # the data (class names are folder names a student chose) goes in last, as script-safe JSON, so nothing in it
    # is ever read as markup or as another placeholder; the script shows names with textContent only
    html = _HOVER_TEMPLATE.replace("__ATLAS__", base64.b64encode(atlas).decode()).replace(
        "__HEIGHT__", str(height - 20)).replace("__DATA__", script_json(data))
    if len(_HOVER_CACHE) >= 8:
        _HOVER_CACHE.pop(next(iter(_HOVER_CACHE)))
    _HOVER_CACHE[key] = html
    return html


_HOVER_CACHE: dict[tuple, str] = {}


_HOVER_TEMPLATE = """<div id="legend" style="font:12px sans-serif;margin-bottom:4px"></div>
<div style="position:relative;font:12px sans-serif">
<canvas id="map" style="width:100%;height:__HEIGHT__px;cursor:crosshair"></canvas>
<div id="tip" style="position:absolute;display:none;background:#fff;border:1px solid #bbb;border-radius:4px;
padding:4px;pointer-events:none;box-shadow:0 2px 6px rgba(0,0,0,.2)"><canvas id="thumb" width="96" height="96"
style="image-rendering:pixelated;display:block"></canvas>
<div id="lab"><b id="lab-name"></b><span id="lab-info"></span><br><span id="lab-image"></span></div></div></div>
<script>
const D = __DATA__;
const atlas = new Image(); atlas.src = "data:image/jpeg;base64,__ATLAS__";
const c = document.getElementById("map"), g = c.getContext("2d");
const tip = document.getElementById("tip"), th = document.getElementById("thumb").getContext("2d");
const labName = document.getElementById("lab-name"), labInfo = document.getElementById("lab-info");
const labImage = document.getElementById("lab-image");
let P = [];
const hidden = new Set();
const legend = document.getElementById("legend");
D.names.forEach((name, c) => {
  const chip = document.createElement("span");
  chip.style.cssText = "display:inline-block;margin:0 8px 2px 0;cursor:pointer;user-select:none";
  const dot = document.createElement("span");
  dot.style.cssText = "display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:3px";
  dot.style.background = D.colors[c];
  chip.append(dot, document.createTextNode(name));
  chip.title = "click to hide or show this class";
  chip.onclick = () => { if (hidden.has(c)) hidden.delete(c); else hidden.add(c);
    chip.style.opacity = hidden.has(c) ? 0.35 : 1; layout(); };
  legend.appendChild(chip);
});
function layout() {
  c.width = c.clientWidth; c.height = c.clientHeight;
  const m = 12, w = c.width - 2 * m, h = c.height - 2 * m;
  let sx = w, sy = w * D.aspect; if (sy > h) { sy = h; sx = h / D.aspect; }
  const ox = m + (w - sx) / 2, oy = m + (h - sy) / 2;
  P = D.x.map((x, i) => [ox + x * sx, oy + (1 - D.y[i]) * sy]);
  g.clearRect(0, 0, c.width, c.height); g.globalAlpha = 0.8;
  const r = D.x.length > 2000 ? 2 : 3;
  P.forEach((p, i) => { if (hidden.has(D.label[i])) return; g.fillStyle = D.colors[D.label[i]]; g.beginPath(); g.arc(p[0], p[1], r, 0, 6.283); g.fill(); });
}
c.addEventListener("mousemove", e => {
  const b = c.getBoundingClientRect(), mx = e.clientX - b.left, my = e.clientY - b.top;
  let best = -1, bd = 144;
  for (let i = 0; i < P.length; i++) { if (hidden.has(D.label[i])) continue; const dx = P[i][0] - mx, dy = P[i][1] - my, d = dx * dx + dy * dy;
    if (d < bd) { bd = d; best = i; } }
  if (best < 0) { tip.style.display = "none"; return; }
  const t = D.tile, col = best % D.columns, row = Math.floor(best / D.columns);
  th.imageSmoothingEnabled = false; th.clearRect(0, 0, 96, 96); th.drawImage(atlas, col * t, row * t, t, t, 0, 0, 96, 96);
  labName.textContent = D.names[D.label[best]];
  labInfo.textContent = " (label " + D.label[best] + ")";
  labImage.textContent = "image " + D.index[best];
  tip.style.display = "block";
  tip.style.left = Math.min(mx + 14, c.width - 110) + "px"; tip.style.top = Math.max(my - 60, 0) + "px";
});
c.addEventListener("mouseleave", () => { tip.style.display = "none"; });
window.addEventListener("resize", layout); layout();
</script>"""
