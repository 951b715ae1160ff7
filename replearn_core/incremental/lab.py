"""What the incremental-learning page asks of the engine: checking and starting a comparison, reading its accuracy
matrices back (live, cell by cell, while it runs) and drawing them."""

from __future__ import annotations

import plotly.graph_objects as go

from replearn_core.incremental.config import IncrementalConfig
from replearn_core.incremental.metrics import average_curve, forgetting, summarise
from replearn_core.incremental.strategies import STRATEGIES
from replearn_core.runs.store import Run, RunStore

LAYOUT = dict(margin=dict(l=40, r=10, t=50, b=40), height=340)
COLOURS = {"sequential": "#d62728", "joint": "#2ca02c", "replay": "#1f77b4", "lwf": "#ff7f0e", "ewc": "#9467bd"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def check_comparison(config: dict | IncrementalConfig, store: RunStore | None = None, user=None) -> IncrementalConfig:
    """Everything that can be refused before a run is queued: the settings, the dataset, the task split (fewer
    classes than tasks, an unknown class in the order), a replay memory larger than a class's images, and an
    encoder run the user may not see (the same answer as for a run that does not exist)."""
    from replearn_core.data import DATASETS, check_dataset_spec
    from replearn_core.incremental.job import prepare_data
    from replearn_core.runs.access import LOCAL, get_run

    if isinstance(config, dict):
        config = IncrementalConfig.from_dict(config)
    config.validate(STRATEGIES)
    check_dataset_spec(config.dataset)
    if config.encoder != "random" and not config.encoder.startswith("file:"):
        get_run(store or RunStore(), user or LOCAL, config.encoder)
    info = DATASETS.get(config.dataset)
    if info is None or info.offline:  # a folder or a built-in set is read now (and cached); a download waits
        prepare_data(config)  # for the worker, which then checks the same
    return config


def start_comparison(config: dict | IncrementalConfig, store: RunStore | None = None, user=None) -> str:
    """Check a comparison and queue it for a worker as the user's run (default: the local user); returns its id."""
    from replearn_core.runs.access import LOCAL, submit_as

    store = store or RunStore()
    config = check_comparison(config, store, user)
    name = f"incremental {config.scenario} {','.join(config.strategies)} on {config.dataset}"
    return submit_as(user or LOCAL, "incremental", config.to_dict(), name=name, store=store)


def comparison_runs(store: RunStore, user=None) -> list[Run]:
    """Past comparisons the user may see (default: the local user, every one), newest first."""
    from replearn_core.runs.access import LOCAL, list_runs

    return list_runs(store, user or LOCAL, kind="incremental")


ENCODER_KINDS = ("ssl", "supervised", "metric")  # run kinds whose checkpoints are encoders


def encoder_runs(store: RunStore, user=None) -> list[Run]:
    """Finished runs the user may see that stored an encoder checkpoint, newest first: where a comparison may
    start ("does a self-supervised encoder forget less?")."""
    from replearn_core.checkpoints import checkpoint_artifacts
    from replearn_core.runs.access import LOCAL, list_runs

    runs = [r for kind in ENCODER_KINDS for r in list_runs(store, user or LOCAL, kind=kind, status="finished")]
    runs.sort(key=lambda r: r.created, reverse=True)
    return [r for r in runs if checkpoint_artifacts(store, r.id)]


def comparison_label(run: Run) -> str:
    cfg = run.config
    return f"{run.id} · {cfg.get('dataset')} · {cfg.get('scenario')} · {', '.join(cfg.get('strategies', []))} · " \
           f"{run.status}"


def live_matrices(store: RunStore, run_id: str, user=None) -> dict[str, dict[str, list[list[float]]]]:
    """{scenario: {strategy: accuracy matrix so far}} from the run's logged cells, if the user may see the run
    (default: the local user): a running comparison's matrices fill in row by row, cell by cell."""
    from replearn_core.runs.access import LOCAL, run_metrics

    cells: dict[tuple[str, str], dict[tuple[int, int], float]] = {}
    for key, (steps, values) in run_metrics(store, user or LOCAL, run_id).items():
        parts = key.split("/")
        if len(parts) != 4 or parts[0] != "acc":
            continue
        _, scenario, strategy, task = parts
        for step, value in zip(steps, values):
            cells.setdefault((scenario, strategy), {})[(int(step) - 1, int(task) - 1)] = value
    out: dict[str, dict[str, list[list[float]]]] = {}
    for (scenario, strategy), known in cells.items():
        rows = max(t for t, _ in known) + 1
        out.setdefault(scenario, {})[strategy] = [[known.get((t, j)) for j in range(t + 1)] for t in range(rows)]
    return out


def results_of(run: Run, store: RunStore, user=None) -> dict[str, dict[str, dict]]:
    """{scenario: {strategy: summary of its matrix}}: the finished run's summary, else what has been logged."""
    if run.status == "finished" and run.summary.get("results"):
        return run.summary["results"]
    return {s: {k: summarise(m) for k, m in by_key.items()}
            for s, by_key in live_matrices(store, run.id, user).items()}


def strategy_title(key: str) -> str:
    return STRATEGIES[key].title if key in STRATEGIES else key


def matrix_figure(matrix: list[list[float]], n_tasks: int, title: str, task_labels: list[str] | None = None,
                  row_label: str = "after task", column_label: str = "tested on task") -> go.Figure:
    """The accuracy matrix as a heat map: row t = after training task t, column j = tested on task j; cells not
    reached yet are blank."""
    labels = task_labels or [str(j + 1) for j in range(n_tasks)]
    z = [[(matrix[t][j] if t < len(matrix) and j < len(matrix[t]) else None) for j in range(n_tasks)]
         for t in range(n_tasks)]
    text = [["" if v is None else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, text=text, texttemplate="%{text}", zmin=0, zmax=1,
                               colorscale="RdYlGn", showscale=False, hoverongaps=False))
    fig.update_layout(title=title, xaxis_title=column_label, yaxis_title=row_label, yaxis_autorange="reversed",
                      **{**LAYOUT, "height": 300})
    return fig


def average_figure(results: dict[str, dict], n_tasks: int, title: str, x_label: str = "after task",
                   y_label: str = "average accuracy", names: dict[str, str] | None = None) -> go.Figure:
    """Average accuracy over the tasks seen, after each task, one line per strategy (``names``: the strategies'
    names in the page's language)."""
    fig = go.Figure()
    for key, result in results.items():
        curve = result.get("average_curve") or average_curve(result.get("matrix", []))
        fig.add_scatter(x=list(range(1, len(curve) + 1)), y=curve, mode="lines+markers",
                        name=(names or {}).get(key) or strategy_title(key),
                        line=dict(color=COLOURS.get(key)))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, yaxis_range=[0, 1.05],
                      xaxis=dict(tickmode="linear", tick0=1, dtick=1, range=[0.8, n_tasks + 0.2]), **LAYOUT)
    return fig


def forgetting_figure(results: dict[str, dict], title: str, x_label: str = "task",
                      y_label: str = "forgetting (best − final)", names: dict[str, str] | None = None) -> go.Figure:
    """Each task's forgetting (its best accuracy before the last task minus its final one), bars per strategy."""
    fig = go.Figure()
    for key, result in results.items():
        values = result.get("forgetting") or forgetting(result.get("matrix", []))
        shown = values[:-1] if values else []
        fig.add_bar(x=[str(j + 1) for j in range(len(shown))], y=shown,
                    name=(names or {}).get(key) or strategy_title(key),
                    marker_color=COLOURS.get(key))
    fig.update_layout(title=title, xaxis_title=x_label, yaxis_title=y_label, barmode="group", **LAYOUT)
    return fig


def feature_map_figure(store: RunStore, run_id: str, scenario: str, strategy: str, task: int,
                       class_names: list[str] | None = None, title: str = "", user=None) -> go.Figure | None:
    """The PCA map of the encoder's features of the test images of the tasks seen after ``task`` (1-based),
    coloured by class, if the user may see the run; None when the run has not stored it (yet)."""
    from safetensors.torch import load_file

    from replearn_core.runs.access import LOCAL, run_artifacts

    artifact = next((a for a in run_artifacts(store, user or LOCAL, run_id, kind="feature_map")
                     if a.name == f"map_{scenario}_{strategy}"), None)
    if artifact is None or not artifact.path.exists():
        return None
    data = load_file(str(artifact.path))
    if f"coords_{task}" not in data:
        return None
    xy, units = data[f"coords_{task}"].numpy(), data[f"units_{task}"].long().numpy()
    fig = go.Figure()
    for unit in sorted(set(units.tolist())):
        m = units == unit
        name = class_names[unit] if class_names and unit < len(class_names) else str(unit)
        fig.add_scattergl(x=xy[m, 0], y=xy[m, 1], mode="markers", name=name,
                          marker=dict(size=5, color=PALETTE[unit % len(PALETTE)], opacity=0.75))
    fig.update_layout(title=title, xaxis_title="PC 1", yaxis_title="PC 2", **LAYOUT)
    return fig


def comparison_rows(run: Run) -> list[dict]:
    """The finished comparison's table: one row per scenario and strategy."""
    return [dict(row) for row in run.summary.get("table", [])]


def reading(results: dict[str, dict], lang: str = "en") -> str | None:
    """One line that reads a scenario's comparison: how far sequential training fell, how much it forgot, and
    which strategy kept the most (None without sequential training and one other strategy to compare)."""
    from replearn_core.i18n import translate, translate_or

    seq = results.get("sequential")
    others = {k: r for k, r in results.items()
              if k not in ("sequential", "joint") and r.get("average_accuracy") is not None}
    if not seq or seq.get("average_accuracy") is None or not others or seq.get("mean_forgetting") is None:
        return None
    best = max(others, key=lambda k: others[k]["average_accuracy"])
    title = translate_or(f"inc_strategy.{best}.title", strategy_title(best), lang)
    line = translate("inc.reading", lang, seq=f"{seq['average_accuracy']:.2f}", forgot=f"{seq['mean_forgetting']:.2f}",
                     best=title, best_acc=f"{others[best]['average_accuracy']:.2f}")
    joint = results.get("joint", {}).get("average_accuracy")
    return line + (translate("inc.reading_joint", lang, joint=f"{joint:.2f}") if joint is not None else "")
