"""Plotly figures of a transfer comparison. Pure functions from numbers to figures; no Streamlit here.

Colour = strategy, line style = label fraction, so "which strategy" and "how many labels"
read apart on one chart.
"""

from __future__ import annotations

import plotly.graph_objects as go

from replearn_core.i18n import translate as tr
from replearn_core.transfer.strategies import STRATEGIES

LAYOUT = dict(margin=dict(l=40, r=10, t=40, b=40), height=340, legend=dict(orientation="h", y=-0.25))
COLOURS = dict(zip(STRATEGIES, ["#1f77b4", "#17becf", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                "#7f7f7f"]))
DASHES = ["dot", "dash", "solid", "dashdot", "longdash", "longdashdot"]


def curves_figure(curves: dict[str, tuple[list[int], list[float]]], fractions: list[float], title: str,
                  yaxis: str, lang: str = "en") -> go.Figure:
    """One line per strategy × fraction: curves = {"linear@0.1": (steps, values), ...}."""
    fig = go.Figure()
    order = sorted(fractions)
    for name, (steps, values) in sorted(curves.items()):
        strategy, _, fraction = name.partition("@")
        dash = DASHES[order.index(float(fraction)) % len(DASHES)] if float(fraction) in order else "solid"
        fig.add_scatter(x=steps, y=values, mode="lines+markers" if len(steps) < 20 else "lines",
                        name=f"{strategy} · {float(fraction):.0%}",
                        line=dict(color=COLOURS.get(strategy), dash=dash, width=2), marker=dict(size=5))
    fig.update_layout(title=title, xaxis_title=tr("chart.step", lang),
                      yaxis_title=tr("chart." + yaxis, lang) if yaxis in ("accuracy", "loss") else yaxis, **LAYOUT)
    if yaxis == "accuracy":
        fig.update_yaxes(range=[0, 1])
    return fig


def label_efficiency_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """Accuracy against the fraction of labels (log scale), one line per strategy: the label-efficiency curve."""
    fig = go.Figure()
    for strategy in dict.fromkeys(r["strategy"] for r in rows):
        points = sorted((r["fraction"], r["accuracy"], r["n_labels"]) for r in rows if r["strategy"] == strategy)
        fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=strategy,
                        customdata=[p[2] for p in points],
                        hovertemplate=tr("chart.efficiency_hover", lang),
                        line=dict(color=COLOURS.get(strategy), dash="dot" if strategy == "scratch" else "solid"))
    fig.update_layout(title=tr("chart.efficiency_title", lang), xaxis_title=tr("chart.fraction", lang),
                      yaxis_title=tr("chart.accuracy", lang), **LAYOUT)
    fig.update_xaxes(type="log", tickformat=".0%")
    fig.update_yaxes(range=[0, 1])
    return fig


def cost_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """Training time against accuracy at the largest fraction: what each strategy costs."""
    largest = max(r["fraction"] for r in rows)
    fig = go.Figure()
    for r in (r for r in rows if r["fraction"] == largest):
        fig.add_scatter(x=[r["train_time_s"]], y=[r["accuracy"]], mode="markers+text", text=[r["strategy"]],
                        textposition="top center", name=r["strategy"], showlegend=False,
                        marker=dict(size=8 + 22 * (r["trainable_params"] / max(1, r["total_params"])),
                                    color=COLOURS.get(r["strategy"])))
    fig.update_layout(title=tr("chart.cost_title", lang, fraction=f"{largest:.0%}"),
                      xaxis_title=tr("chart.train_time", lang), yaxis_title=tr("chart.accuracy", lang), **LAYOUT)
    return fig
