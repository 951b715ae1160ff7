"""What the transfer page calls: encoder choices, checks, submitting and reading back comparisons.

Every function works without Streamlit, so the page stays a thin layer of widgets.
"""

from __future__ import annotations

from pathlib import Path

from replearn_core.runs.reference import open_store
from replearn_core.runs.store import Run, RunStore
from replearn_core.transfer.config import SupervisedConfig, TransferConfig
from replearn_core.transfer.encoders import encoder_runs, load_encoder
from replearn_core.transfer.job import comparison_curves, comparison_runs, results_csv
from replearn_core.transfer.plots import cost_figure, curves_figure, label_efficiency_figure
from replearn_core.transfer.recommend import recommendation_text
from replearn_core.transfer.strategies import STRATEGIES

__all__ = ["comparison_curves", "comparison_runs", "cost_figure", "curves_figure", "encoder_choices",
           "check_encoder", "label_efficiency_figure", "recommendation_text", "results_csv", "save_upload",
           "start_comparison", "start_source_run"]


def encoder_choices(store: RunStore, user=None) -> dict[str, str]:
    """{spec: label} of every encoder the page offers: finished runs with checkpoints that the user may see, then
    the fixed sources."""
    from replearn_core.runs.reference import reference_note

    choices = {}
    for run in encoder_runs(store, user):
        cfg = run.config
        what = cfg.get("method") or run.kind
        mark = f" · {reference_note(run)}" if run.reference else ""
        choices[run.id] = f"{what} on {cfg.get('dataset', '?')} · {cfg.get('backbone', '?')}{mark} · run {run.id}"
    choices["random"] = "random initialisation (the control)"
    choices["imagenet"] = "ImageNet (torchvision ResNet-18 weights, downloads 45 MB once)"
    choices["upload"] = "upload a checkpoint file"
    return choices


def save_upload(name: str, data: bytes, user=None, store: RunStore | None = None) -> Path:
    """Store an uploaded checkpoint in the user's upload folder (``access.upload_dir``) under a safe name that
    starts with a digest of its bytes, so a second upload of the same name never overwrites the first; returns
    its path. Counted against a student's quota; see :mod:`replearn_core.uploads` (whose ``upload_checkpoint``
    also checks the file before keeping it, as the page does)."""
    from replearn_core.runs.access import LOCAL
    from replearn_core.uploads import store_upload

    return store_upload(store or open_store(), user or LOCAL, name, data)


def check_encoder(spec: str, backbone: str, store: RunStore | None = None) -> dict:
    """Load an encoder once to check it (a mismatch raises CheckpointError listing the keys); ImageNet is not fetched."""
    if spec == "imagenet":
        return {"encoder": "imagenet", "backbone": "resnet18"}
    _, info = load_encoder(spec, backbone, store)
    return info


def start_comparison(config: dict | TransferConfig, store: RunStore | None = None, user=None) -> str:
    """Validate a comparison and queue it for a worker as the user's run (default: the local user)."""
    from replearn_core.runs.access import LOCAL, get_run, submit_as

    if isinstance(config, dict):
        config = TransferConfig.from_dict(config)
    config.validate(STRATEGIES)
    store = store or open_store()
    if config.encoder not in ("random", "imagenet") and not config.encoder.startswith("file:"):
        get_run(store, user or LOCAL, config.encoder)  # another student's encoder run is "no run with that id"
    name = f"transfer {config.encoder} → {config.dataset}"
    return submit_as(user or LOCAL, "transfer", config.to_dict(), name=name, store=store)


def start_source_run(config: dict | SupervisedConfig | None = None, store: RunStore | None = None,
                     user=None) -> str:
    """Queue a supervised source-encoder run (by default on printed-digits, the built-in pair's source)."""
    from replearn_core.runs.access import LOCAL, submit_as

    config = config or SupervisedConfig()
    if isinstance(config, dict):
        config = SupervisedConfig.from_dict(config)
    config.validate()
    return submit_as(user or LOCAL, "supervised", config.to_dict(), name=f"supervised {config.dataset}",
                     store=store)


def run_label(run: Run) -> str:
    cfg = run.config
    return (f"{run.id} · {cfg.get('encoder')} → {cfg.get('dataset')} · {', '.join(cfg.get('strategies', []))} · "
            f"{run.status}")
