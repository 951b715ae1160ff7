"""Where a transfer comparison's encoder comes from.

An encoder *spec* is one string, the same on the page, in a config and on the command line:

- ``random``: the architecture ``backbone`` with random weights (the control);
- a run id: the latest encoder checkpoint of a finished self-supervised (``ssl``) or supervised run;
- ``imagenet``: torchvision's ResNet-18 ImageNet weights (``ResNet18_Weights.IMAGENET1K_V1``),
  downloaded once into ``<data folder>/weights/`` and checked against the hash in its file name;
- ``file:PATH``: a checkpoint file (safetensors, or a torch file read with ``weights_only=True``)
  for the architecture ``backbone``; keys may carry a ``backbone.`` prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from replearn_core.backbones import build_backbone
from replearn_core.checkpoints import CheckpointError, checkpoint_artifacts, load_encoder_file, load_into, \
    load_run_encoder, read_state_file, untrained_encoder
from replearn_core.download import DownloadError, download_file, sha256_of
from replearn_core.paths import subdir
from replearn_core.runs.reference import open_store
from replearn_core.runs.store import RunStore

ENCODER_KINDS = ("ssl", "supervised", "metric")  # run kinds whose checkpoints are encoders
IMAGENET_MB = 45  # about the size of resnet18-f37072fd.pth


def imagenet_url() -> str:
    from torchvision.models import ResNet18_Weights

    return ResNet18_Weights.IMAGENET1K_V1.url


def imagenet_weights_file(url: str | None = None, progress=None) -> Path:
    """Download (once, resumable) torchvision's ResNet-18 ImageNet weights; returns the local file.

    torchvision names its files ``<name>-<first hex digits of the SHA-256>.pth``; the download is
    checked against that prefix, and a file that fails the check is deleted.
    """
    url = url or imagenet_url()
    dest = subdir("weights") / url.rsplit("/", 1)[-1]
    try:
        download_file(url, dest, progress=progress)
    except DownloadError as exc:
        raise DownloadError(f"ImageNet weights are not available offline: {exc} "
                            f"(the file is about {IMAGENET_MB} MB, from {url}). Offline, start from a run of this "
                            f"lab, from random weights, or from a checkpoint file instead.") from exc
    match = re.search(r"-([0-9a-f]{6,64})\.", dest.name)
    if match and not sha256_of(dest).startswith(match.group(1)):
        dest.unlink()
        raise DownloadError(f"{dest.name}: the SHA-256 does not start with {match.group(1)} as its name says; "
                            f"the broken file was deleted, try again.")
    return dest


def torchvision_resnet_to_encoder(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename torchvision ResNet keys (conv1, bn1, layerN, fc) to ours (stem.0, stem.1, stages.N; fc dropped)."""
    out = {}
    for key, value in state.items():
        if key.startswith("fc."):
            continue  # the ImageNet classifier: the transfer job brings its own head
        key = re.sub(r"^conv1\.", "stem.0.", key)
        key = re.sub(r"^bn1\.", "stem.1.", key)
        key = re.sub(r"^layer(\d)\.", r"stages.\1.", key)
        out[key] = value
        if key.startswith("stem."):  # the stem is also stages.0: state_dict lists it under both names
            out["stages.0." + key[len("stem."):]] = value
    return out


def imagenet_encoder(url: str | None = None, progress=None) -> nn.Module:
    """ResNet-18 (ImageNet stem) with torchvision's ImageNet weights."""
    path = imagenet_weights_file(url, progress)
    state = read_state_file(path)
    return load_into(build_backbone("resnet18"), torchvision_resnet_to_encoder(state)).eval()


def load_encoder(spec: str, backbone: str = "small_cnn", store: RunStore | None = None, seed: int = 0,
                 progress=None) -> tuple[nn.Module, dict]:
    """(encoder, description) for an encoder spec; the description says what it is, for tables and pages."""
    spec = (spec or "").strip()
    if spec in ("", "random"):
        return untrained_encoder(backbone, seed), {"encoder": "random", "backbone": backbone}
    if spec == "imagenet":
        return imagenet_encoder(progress=progress), {"encoder": "imagenet", "backbone": "resnet18"}
    if spec.startswith("file:"):
        path = Path(spec[len("file:"):]).expanduser()
        return load_encoder_file(path, backbone).eval(), {"encoder": f"file:{path.name}", "backbone": backbone}
    store = store or open_store()
    run = store.get_run(spec)  # RunNotFound (a KeyError) names the id
    if run.status != "finished" and not checkpoint_artifacts(store, spec):
        raise CheckpointError(f"run {spec} is {run.status} and has no encoder checkpoint yet")
    name = "checkpoint_final" if any(a.name == "checkpoint_final" for a in checkpoint_artifacts(store, spec)) \
        else None
    model, run_config = load_run_encoder(store, spec, name)
    info = {"encoder": spec, "backbone": run_config.get("backbone", backbone), "kind": run.kind,
            "source": run_config.get("method") or run.kind, "source_dataset": run_config.get("dataset")}
    return model, info


def encoder_runs(store: RunStore, user=None) -> list:
    """Finished runs the user may see (default: the local user, every run) that saved an encoder checkpoint,
    newest first (the page's choices)."""
    from replearn_core.runs.access import LOCAL, list_runs

    runs = [r for kind in ENCODER_KINDS for r in list_runs(store, user or LOCAL, kind=kind, status="finished")]
    runs.sort(key=lambda r: r.created, reverse=True)
    return [r for r in runs if checkpoint_artifacts(store, r.id)]
