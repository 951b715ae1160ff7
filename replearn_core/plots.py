"""Plotly figures of run metrics. Pure functions from numbers to figures; no Streamlit here.

Each takes ``lang`` ("en" or "zh") for its title, axes, legend and annotations (the catalogue's ``chart.*``
keys); the command line and the benchmarks keep the English default."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from replearn_core.i18n import translate as tr
from replearn_core.runs.store import RunStore

LAYOUT = dict(margin=dict(l=40, r=10, t=40, b=40), height=300, legend=dict(orientation="h", y=-0.25))


def ema_smooth(values: list[float], weight: float = 0.8) -> list[float]:
    out, last = [], None
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(v)
            continue
        last = v if last is None else weight * last + (1 - weight) * v
        out.append(last)
    return out


def loss_figure(metrics: dict, title: str | None = None, lang: str = "en") -> go.Figure:
    fig = go.Figure()
    if "loss" in metrics:
        steps, values = metrics["loss"]
        fig.add_scatter(x=steps, y=values, mode="lines", name=tr("chart.loss", lang), line=dict(width=1, color="#bbb"))
        fig.add_scatter(x=steps, y=ema_smooth(values), mode="lines", name=tr("chart.smoothed", lang), line=dict(width=2))
    fig.update_layout(title=title or tr("chart.loss_title", lang), xaxis_title=tr("chart.step", lang),
                      yaxis_title=tr("chart.loss", lang), **LAYOUT)
    return fig


def knn_figure(metrics: dict, title: str | None = None, lang: str = "en") -> go.Figure:
    fig = go.Figure()
    if "knn_acc" in metrics:
        steps, values = metrics["knn_acc"]
        fig.add_scatter(x=steps, y=values, mode="lines+markers", name=tr("chart.knn", lang))
        fig.add_hline(y=values[0], line_dash="dash", line_color="gray",
                      annotation_text=tr("chart.untrained_baseline", lang, value=values[0]),
                      annotation_position="bottom right")
    fig.update_layout(title=title or tr("chart.knn_title", lang), xaxis_title=tr("chart.step", lang),
                      yaxis_title=tr("chart.accuracy", lang), yaxis_range=[0, 1], **LAYOUT)
    return fig


def collapse_figure(metrics: dict, title: str | None = None, lang: str = "en") -> go.Figure:
    fig = go.Figure()
    if "collapse_std" in metrics:
        steps, values = metrics["collapse_std"]
        fig.add_scatter(x=steps, y=values, mode="lines+markers", name=tr("chart.feature_std", lang))
        if "collapse_ref" in metrics:
            ref = metrics["collapse_ref"][1][-1]
            fig.add_hline(y=ref, line_dash="dash", line_color="green",
                          annotation_text=tr("chart.healthy", lang, value=ref), annotation_position="top right")
        fig.add_hline(y=0, line_color="red", annotation_text=tr("chart.collapsed", lang),
                      annotation_position="bottom right")
    fig.update_layout(title=title or tr("chart.collapse_title", lang), xaxis_title=tr("chart.step", lang),
                      yaxis_title=tr("chart.std", lang), yaxis_rangemode="tozero", **LAYOUT)
    return fig


def overlay_figure(store: RunStore, run_ids: list[str], key: str, labels: dict[str, str] | None = None,
                   smooth: bool = False, lang: str = "en") -> go.Figure:
    """One metric of several runs on one chart."""
    fig = go.Figure()
    for run_id in run_ids:
        series = store.metrics(run_id, [key]).get(key)
        if not series:
            continue
        steps, values = series
        fig.add_scatter(x=steps, y=ema_smooth(values) if smooth else values, mode="lines",
                        name=(labels or {}).get(run_id, run_id))
    fig.update_layout(title=tr("chart.overlay_title", lang, metric=key), xaxis_title=tr("chart.step", lang),
                      yaxis_title=key, **{**LAYOUT, "height": 380})
    return fig
