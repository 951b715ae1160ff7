"""What the domain-adaptation page asks of the engine: starting runs, accuracy bars and feature maps."""

from __future__ import annotations

import plotly.graph_objects as go

from replearn_core.adaptation import ADAPT_METHODS
from replearn_core.runs.store import RunStore

LAYOUT = dict(margin=dict(l=40, r=10, t=50, b=40), height=360)
DOMAIN_COLOURS = {0: "#1f77b4", 1: "#ff7f0e"}


def start_adapt_run(config: dict, store: RunStore | None = None, user=None) -> str:
    """Validate a config and queue the run as the user's (default: the local user); returns its id."""
    from replearn_core.adaptation.job import AdaptConfig
    from replearn_core.runs.access import LOCAL, submit_as

    from replearn_core.data import check_dataset_spec

    cfg = AdaptConfig.from_dict(config).validate()
    check_dataset_spec(cfg.source)
    check_dataset_spec(cfg.target)
    return submit_as(user or LOCAL, "adapt", cfg.to_dict(), name=f"adapt {cfg.method} {cfg.source}→{cfg.target}",
                     store=store)


def accuracy_figure(summary: dict) -> go.Figure:
    """Target (and source) accuracy of each method of a run, side by side."""
    target = summary.get("target_acc", {})
    source = summary.get("source_acc", {})
    names = [ADAPT_METHODS[m].title if m in ADAPT_METHODS else m for m in target]
    fig = go.Figure()
    fig.add_bar(x=names, y=list(target.values()), name="target accuracy",
                text=[f"{v:.3f}" for v in target.values()], textposition="outside")
    fig.add_bar(x=names, y=[source.get(m) for m in target], name="source accuracy", opacity=0.5)
    fig.update_layout(title="Accuracy per method (target labels used only here)", yaxis_range=[0, 1.1],
                      barmode="group", **LAYOUT)
    return fig


def domain_gap_reading(summary: dict, lang: str = "en") -> str | None:
    """One line that reads the measured domain gap before and after adaptation, or None without a control."""
    from replearn_core.i18n import translate, translate_or

    before, after = summary.get("domain_gap_before"), summary.get("domain_gap_after")
    acc_before, acc_after = summary.get("target_acc_before"), summary.get("target_acc_after")
    if before is None or after is None or acc_before is None:
        return None
    chosen = summary.get("best_method") or summary.get("method")
    title = translate_or(f"adapt_method.{chosen}.title", ADAPT_METHODS[chosen].title, lang) \
        if chosen in ADAPT_METHODS else chosen
    if after < before:
        change = translate("da.smaller", lang, ratio=f"{before / max(after, 1e-6):.1f}")
    else:
        change = translate("da.not_smaller", lang, ratio=f"{after / max(before, 1e-6):.1f}")
    match_before, match_after = summary.get("class_match_before"), summary.get("class_match_after")
    match = (translate("da.reading_match", lang, before=f"{match_before:.0%}", after=f"{match_after:.0%}")
             if match_before is not None and match_after is not None else "")
    return translate("da.reading", lang, before=f"{before:.3f}", after=f"{after:.3f}", method=title, change=change,
                     acc_before=f"{acc_before:.3f}", acc_after=f"{acc_after:.3f}") + match


def feature_map_figure(store: RunStore, run_id: str, method: str, colour_by: str = "domain") -> go.Figure | None:
    """Source and target test features of one method's encoder in 2-D, coloured by domain or by class."""
    from safetensors.torch import load_file

    artifact = store.artifact(run_id, f"map_{method}")
    if artifact is None or not artifact.path.exists():
        return None
    data = load_file(str(artifact.path))
    xy, domain, labels = data["coords"].numpy(), data["domain"].numpy(), data["labels"].numpy()
    fig = go.Figure()
    symbols = {0: "circle", 1: "x"}
    if colour_by == "domain":
        for d, name in ((0, "source"), (1, "target")):
            m = domain == d
            fig.add_scattergl(x=xy[m, 0], y=xy[m, 1], mode="markers", name=name,
                              marker=dict(size=5, color=DOMAIN_COLOURS[d], symbol=symbols[d], opacity=0.7))
    else:
        for c in sorted(set(labels.tolist())):
            for d, name in ((0, "source"), (1, "target")):
                m = (labels == c) & (domain == d)
                fig.add_scattergl(x=xy[m, 0], y=xy[m, 1], mode="markers", name=f"{c} ({name})",
                                  legendgroup=str(c), showlegend=d == 0,
                                  marker=dict(size=5, color=_palette(c), symbol=symbols[d], opacity=0.7))
    gap = float(data["domain_gap"][0]) if "domain_gap" in data else None
    title = ADAPT_METHODS[method].title if method in ADAPT_METHODS else method
    fig.update_layout(title=f"{title}" + (f" · domain gap (MMD) {gap:.3f}" if gap is not None else ""),
                      xaxis_title="PC 1", yaxis_title="PC 2", **LAYOUT)
    return fig


def _palette(c: int) -> str:
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"]
    return colours[int(c) % len(colours)]


def comparison_rows(store: RunStore, user=None) -> list[dict]:
    """One row per finished adaptation run the user may see and method: target accuracy and domain gap."""
    from replearn_core.runs.access import LOCAL, list_runs

    rows = []
    for run in list_runs(store, user or LOCAL, kind="adapt", status="finished"):
        s = run.summary
        for method, acc in (s.get("target_acc") or {}).items():
            rows.append({"run": run.id, "source → target": f"{s.get('source')} → {s.get('target')}",
                         "method": method, "target accuracy": acc, "source accuracy": (s.get("source_acc") or {}).get(method)})
    return rows
