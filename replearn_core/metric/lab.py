"""What the metric-learning page asks of the engine: starting runs and figures of their curves."""

from __future__ import annotations

import plotly.graph_objects as go

from replearn_core.data import check_dataset_spec
from replearn_core.metric import METRIC_METHODS
from replearn_core.runs.store import RunStore

LAYOUT = dict(margin=dict(l=40, r=10, t=40, b=40), height=300, legend=dict(orientation="h", y=-0.25))
CURVES = {"precision_at_1": "Precision@1", "recall_at_5": "Recall@5", "map_at_r": "MAP@R"}


def start_metric_runs(config: dict, methods: list[str] | None = None, store: RunStore | None = None,
                      user=None, own_defaults: bool = False) -> list[str]:
    """Validate and queue one run per method as the user's (default: the local user), all within the class
    limits or none; returns their ids.

    own_defaults: each method with its declared defaults (epochs, batch size, lr, options) and the config's
    dataset, backbone and seed, instead of the config's settings for all of them.
    """
    from replearn_core.metric.job import parse_config
    from replearn_core.runs.access import LOCAL, submit_all_as

    check_dataset_spec(config["dataset"])
    runs = []
    for method in methods or [config["method"]]:
        cfg = dict(config, method=method)
        if own_defaults:
            cfg.update(METRIC_METHODS[method].run_defaults(), options={})
        checked = parse_config(cfg)[0]  # a wrong setting is refused before anything is queued; stored whole
        runs.append(("metric", checked.to_dict(), f"metric {method} {cfg['dataset']}"))
    return submit_all_as(user or LOCAL, runs, store=store)


def retrieval_figure(metrics: dict, title: str = "Retrieval on held-out images") -> go.Figure:
    fig = go.Figure()
    for key, label in CURVES.items():
        if key in metrics:
            steps, values = metrics[key]
            fig.add_scatter(x=steps, y=values, mode="lines+markers", name=label)
    fig.update_layout(title=title, xaxis_title="step", yaxis_title="score", yaxis_range=[0, 1], **LAYOUT)
    return fig


def method_names() -> list[str]:
    return list(METRIC_METHODS)
