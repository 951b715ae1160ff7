"""``python -m replearn_core incremental``: learn a dataset's classes task after task with several strategies,
print the accuracy matrices and the comparison table."""

from __future__ import annotations

from dataclasses import fields

HELP = "incremental learning: sequential, joint, replay, LwF and EWC compared task after task (forgetting)"

_FLAG_HELP = {
    "dataset": "dataset whose classes are split into tasks: digits, shapes, printed-digits, ... or folder:PATH",
    "scenario": "class (one growing head), task (the task is given at test time) or both",
    "encoder": "where the encoder starts: random, RUN_ID of a finished ssl/supervised/metric run, or file:PATH",
}


def add_arguments(p) -> None:
    from replearn_core.commands.flags import config_flags
    from replearn_core.incremental import STRATEGIES, IncrementalConfig

    def strategies(p, default):
        own = "; ".join(f"{key}: {', '.join('--' + o.name.replace('_', '-') for o in s.options)}"
                        for key, s in STRATEGIES.items() if s.options)
        p.add_argument("--strategies", default=",".join(default),
                       help=f"comma-separated: {', '.join(STRATEGIES)} (default: {','.join(default)}); "
                            f"their own settings: {own}")

    config_flags(p, IncrementalConfig, _FLAG_HELP, {"strategies": strategies})
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def validate(args):
    """The checked comparison (an IncrementalConfig): ranges, names, the dataset and its task split, the memory."""
    from replearn_core.incremental import IncrementalConfig
    from replearn_core.incremental.lab import check_comparison

    values = {f.name: getattr(args, f.name) for f in fields(IncrementalConfig)}
    values["strategies"] = [s.strip() for s in str(values["strategies"]).split(",") if s.strip()]
    return check_comparison(IncrementalConfig.from_dict(values))


def run(args) -> int:
    from replearn_core.commands.progress import ProgressBar, run_in_foreground

    config = getattr(args, "config", None) or validate(args)
    from replearn_core.runs.reference import open_store

    store = open_store()
    run_id = store.create_run("incremental", config.to_dict(),
                              name=f"incremental {config.scenario} {','.join(config.strategies)} on {config.dataset}")
    bar = None if args.quiet else ProgressBar(1000, label=f"{config.dataset}, {config.n_tasks} tasks")

    def on_log(step, metrics):
        if bar is not None:
            run = store.get_run(run_id)
            bar.update(int(run.progress * 1000), (run.message or "")[:70])

    code = run_in_foreground(store, run_id, on_log, bar, args.json, ())
    run = store.get_run(run_id)
    if not args.json and run.status == "finished":
        print(results_text(run.summary))
    return code


def results_text(summary: dict) -> str:
    """Each accuracy matrix, then the comparison table, as plain text."""
    lines = [f"tasks: {' | '.join(','.join(names) for names in summary.get('tasks', []))}"]
    for scenario, by_key in summary.get("results", {}).items():
        for key, result in by_key.items():
            lines.append(f"\n{scenario}-incremental · {key}: accuracy matrix (row: after task t, column: task j)")
            for t, row in enumerate(result["matrix"]):
                lines.append(f"  after {t + 1}: " + " ".join(f"{v:5.2f}" for v in row))
    lines.append(f"\n{'scenario':>9} {'strategy':>10} {'avg acc':>8} {'forgetting':>10} {'BWT':>7} {'time (s)':>9}")
    for row in summary.get("table", []):
        def f(v, spec):
            return format(v, spec) if v is not None else "-".rjust(int(spec.split(".")[0][1:] or 0))
        lines.append(f"{row['scenario']:>9} {row['strategy']:>10} {f(row['average_accuracy'], '>8.3f')} "
                     f"{f(row['mean_forgetting'], '>10.3f')} {f(row['bwt'], '>+7.3f')} {row['train_time_s']:>9.1f}")
    return "\n".join(lines)
