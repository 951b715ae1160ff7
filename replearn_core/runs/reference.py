"""Reference runs: one long run per self-supervised method, shipped with the code, read-only.

They let a teacher show "SimCLR after 30 minutes" beside "our run after 90 seconds". Every store
lists the runs found in ``assets/reference_runs/`` (or the folder named by ``REPLEARN_REFERENCE_RUNS``)
as finished runs marked *reference*, from the first start and offline: in Runs, Feature maps and
Transfer like any other run. Their files stay in the assets folder; the store only points at them,
and refuses to delete or cancel them.

One folder per run, named after it (``simclr/`` becomes the run ``ref-simclr``)::

    run.json                what the run was: kind, settings, summary, device, dates, training
                            time, its metric curves as compact [steps, values] lists, and the list
                            of its files with their SHA-256
    encoder.safetensors     the final encoder in float16 (half the size; loading casts it back to
                            float32)
    embeddings.safetensors  the held-out features at the end, float16, only when small
    first_map.safetensors   the Feature maps page's default map of the run (UMAP of the test images, 2-D
                            coordinates in float16, labels, image numbers, its scores): the first map a new
                            classroom opens is drawn from it, without encoding or projecting anything
                            (``replearn_core.projection.first_map.export_first_map``; ``replearn_core.projection.maps.shipped_map``)

:func:`export_reference_run` writes such a folder from a finished run (``bench/reference_runs.py``
trains one per method and exports it). :func:`sync_reference_runs`, called by :func:`open_store` (how the
app, the warm worker and the command line open the store), registers new or changed folders (keyed by the SHA-256 of ``run.json``, which lists the other
files' hashes) and forgets runs whose folder is gone or damaged, saying why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from replearn_core.paths import reference_runs_dir
from replearn_core.runs.store import ReferenceRunError, Run, RunStore

FORMAT = 1  # version of run.json; a reader refuses other versions with a message
ID_PREFIX = "ref-"  # the run id of folder <name> is ref-<name>
ENCODER_FILE = "encoder.safetensors"
EMBEDDINGS_FILE = "embeddings.safetensors"
FIRST_MAP_FILE = "first_map.safetensors"
MAX_CURVE_POINTS = 1000  # per metric; longer curves keep evenly spaced points, the first and the last
EMBEDDINGS_MAX_BYTES = 600_000  # ship the final embeddings only below this (small_cnn: about 260 kB)
SIZE_BUDGET_MB = 30.0  # all reference runs together

log = logging.getLogger(__name__)


class ReferenceAssetError(ValueError):
    """A reference run's folder is missing a file, or a file is damaged; the message says which and what to do."""


@dataclass
class ReferenceAsset:
    """What one reference folder registers: the run's row, its metric rows and its artifacts."""
    folder: Path
    run: dict  # id, kind, name, config, device, created, started, finished, summary
    metrics: list[tuple[int, str, float | None]]  # (step, key, value)
    artifacts: list[dict]  # name, kind, path, step, meta
    asset_hash: str  # SHA-256 of run.json, which holds every other file's SHA-256


def reference_id(name: str) -> str:
    return ID_PREFIX + name


def regenerate_hint(name: str) -> str:
    return f"regenerate it with `python bench/reference_runs.py --methods {name} --epochs N --force`"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading the assets --------------------------------------------------------------
def read_reference_folder(folder: str | Path) -> ReferenceAsset:
    """Read and check one reference run's folder; raises :class:`ReferenceAssetError` naming the problem."""
    folder = Path(folder)
    name = folder.name

    def problem(message: str) -> ReferenceAssetError:
        return ReferenceAssetError(f"reference run {name} ({folder}): {message}; {regenerate_hint(name)}.")

    run_json = folder / "run.json"
    if not run_json.is_file():
        raise problem("run.json is missing")
    raw = run_json.read_bytes()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise problem(f"run.json is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("reference") is not True:
        raise problem("run.json does not describe a reference run (no \"reference\": true)")
    if data.get("format") != FORMAT:
        raise problem(f"run.json has format {data.get('format')!r}; this version of replearn reads format {FORMAT}")
    missing = [k for k in ("kind", "config", "summary", "created", "metrics", "files") if k not in data]
    if missing:
        raise problem(f"run.json lacks {', '.join(missing)}")
    artifacts = []
    for entry in data["files"]:
        path = folder / entry["file"]
        if not path.is_file():
            raise problem(f"{entry['file']} is missing")
        if path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            raise problem(f"{entry['file']} does not match the size and SHA-256 that run.json lists "
                          f"(damaged or replaced)")
        artifacts.append({"name": entry["name"], "kind": entry["kind"], "path": path.resolve(),
                          "step": entry.get("step"), "meta": entry.get("meta") or {}})
    if not any(a["kind"] == "checkpoint" for a in artifacts):
        raise problem("run.json lists no encoder checkpoint")
    metrics = []
    for key, (steps, values) in data["metrics"].items():
        if len(steps) != len(values):
            raise problem(f"the curve {key!r} has {len(steps)} steps but {len(values)} values")
        metrics += [(int(s), key, v) for s, v in zip(steps, values)]
    run = {"id": reference_id(name), "kind": data["kind"], "name": data.get("name") or f"reference {name}",
           "config": data["config"], "device": data.get("device"), "created": float(data["created"]),
           "started": data.get("started"), "finished": data.get("finished"), "summary": data["summary"]}
    return ReferenceAsset(folder, run, metrics, artifacts, hashlib.sha256(raw).hexdigest())


def reference_folders(folder: str | Path | None = None) -> list[Path]:
    """The run folders inside the reference runs folder (hidden and half-written ``.name.tmp`` ones left out)."""
    folder = Path(folder) if folder else reference_runs_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def open_store(root: str | Path | None = None, reference_runs: str | Path | None = None) -> RunStore:
    """The store of a data folder opened for use: the shipped reference runs (``reference_runs``, by default
    :func:`replearn_core.paths.reference_runs_dir`) registered, so that they are listed from the first start.
    Problems with them never stop the store from opening; they are listed in ``store.reference_problems``. A
    store that can only be read keeps the reference runs registered before."""
    store = RunStore(root)
    if store.read_only is None:
        store.reference_problems = sync_reference_runs(store, reference_runs)
    return store


def sync_reference_runs(store: RunStore, folder: str | Path | None = None) -> list[str]:
    """Make the store's reference runs match the assets folder; returns one message per problem.

    New or changed folders are registered (the same content twice is a no-op), runs whose folder
    is gone or damaged are forgotten. Never raises: a broken asset must not stop the store opening.
    """
    problems: list[str] = []
    try:
        registered = set(store.reference_hashes())
        present = set()
        for sub in reference_folders(folder):
            try:
                asset = read_reference_folder(sub)
                store.put_reference_run(asset.run, asset.metrics, asset.artifacts, asset.asset_hash)
                present.add(asset.run["id"])
            except (ReferenceAssetError, ReferenceRunError) as exc:
                problems.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - say which folder, keep going with the others
                problems.append(f"reference run {sub.name} ({sub}) could not be registered: {exc}")
        for run_id in sorted(registered - present):
            store.remove_reference_run(run_id)
    except Exception as exc:  # noqa: BLE001 - e.g. a read-only or locked database
        problems.append(f"reference runs could not be registered: {exc}")
    for message in problems:
        log.warning(message)
    return problems


def reference_note(run: Run) -> str:
    """A short mark for pickers and tables: ``📌 reference · 200 epochs · 31 min``."""
    s = run.summary or {}
    bits = ["📌 reference"]
    if s.get("epochs_done"):
        bits.append(f"{s['epochs_done']} epoch" + ("s" if s["epochs_done"] != 1 else ""))
    if s.get("train_time_s"):
        bits.append(f"{s['train_time_s'] / 60:.0f} min" if s["train_time_s"] >= 60 else f"{s['train_time_s']:.0f} s")
    return " · ".join(bits)


def folder_bytes(folder: str | Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


# --- writing the assets --------------------------------------------------------------
def export_reference_run(store: RunStore, run_id: str, target: str | Path | None = None, name: str | None = None,
                         extra: dict | None = None) -> Path:
    """Write a finished self-supervised run as the reference folder ``<target>/<name>``; returns the folder.

    name: the folder name (default: the run's method). extra: more fields for run.json (how it was made).
    The folder is written next to its final place and renamed over it, so a reader sees the old
    folder or the new one, never half of one.
    """
    import torch
    from safetensors.torch import save_file

    from replearn_core.checkpoints import checkpoint_artifacts, read_state_file

    run = store.get_run(run_id)
    if run.reference:
        raise ValueError(f"{run_id} is already a reference run")
    if run.kind != "ssl" or run.status != "finished":
        raise ValueError(f"run {run_id} is a {run.status} {run.kind} run; export a finished ssl run")
    checkpoints = checkpoint_artifacts(store, run_id)
    final = [a for a in checkpoints if a.name == "checkpoint_final"] or checkpoints[-1:]
    if not final:
        raise ValueError(f"run {run_id} has no encoder checkpoint to export")
    checkpoint = final[0]
    name = name or run.config.get("method") or run_id
    target = Path(target) if target else reference_runs_dir()
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files = []

    def write(file: str, tensors: dict, artifact, kind: str, meta: dict) -> None:
        save_file(tensors, str(tmp / file), metadata={k: str(v) for k, v in meta.items()})
        (tmp / file).chmod(0o644)  # shipped files: readable by everyone, like the rest of the code
        files.append({"name": artifact.name, "kind": kind, "file": file, "step": artifact.step, "meta": meta,
                      "bytes": (tmp / file).stat().st_size, "sha256": sha256_file(tmp / file)})

    state = read_state_file(checkpoint.path)
    write(ENCODER_FILE, {k: _half(v) for k, v in state.items()}, checkpoint, "checkpoint",
          {**checkpoint.meta, "precision": "float16"})
    embeddings = store.artifact(run_id, "embeddings")
    if embeddings is not None and embeddings.path.exists():
        tensors = {k: _half(v) for k, v in read_state_file(embeddings.path).items()}
        if sum(v.numel() * v.element_size() for v in tensors.values()) <= EMBEDDINGS_MAX_BYTES:
            write(EMBEDDINGS_FILE, tensors, embeddings, "embeddings", {**embeddings.meta, "precision": "float16"})
    s = run.summary
    minutes = (s.get("train_time_s") or 0) / 60
    description = (f"{run.config.get('method')} on {run.config.get('dataset')} with {run.config.get('backbone')}: "
                   f"{s.get('epochs_done')} epoch(s) ({s.get('steps')} steps) in {minutes:.1f} min of training "
                   f"on {run.device}; kNN accuracy {_fmt(s.get('knn_acc_init'))} untrained, "
                   f"{_fmt(s.get('knn_acc'))} at the end")
    data = {"format": FORMAT, "reference": True, "kind": run.kind, "name": f"reference {name}",
            "description": description, "source_run": run_id, "config": run.config, "summary": s,
            "device": run.device, "created": run.created,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run.created)),
            "started": run.started, "finished": run.finished, "train_time_s": s.get("train_time_s"),
            "wall_time_s": s.get("wall_time_s"), "torch": torch.__version__, **(extra or {}), "files": files}
    (tmp / "run.json").write_text(run_json_text(data, compact_curves(store.metrics(run_id))))
    final_folder = target / name
    if final_folder.exists():
        shutil.rmtree(final_folder)
    tmp.rename(final_folder)
    return final_folder


def compact_curves(metrics: dict[str, tuple[list[int], list[float]]],
                   max_points: int = MAX_CURVE_POINTS) -> dict[str, list[list]]:
    """{key: [steps, values]} with at most ``max_points`` evenly spaced points per key (first and last kept),
    values to 6 significant digits, NaN and infinities as null."""
    out = {}
    for key, (steps, values) in sorted(metrics.items()):
        n = len(steps)
        keep = range(n) if n <= max_points else sorted({round(i * (n - 1) / (max_points - 1))
                                                        for i in range(max_points)})
        out[key] = [[int(steps[i]) for i in keep],
                    [float(f"{values[i]:.6g}") if math.isfinite(values[i]) else None for i in keep]]
    return out


def _half(tensor):
    """float32 -> float16 unless a value would overflow (then it stays float32); other dtypes unchanged."""
    import torch

    if tensor.dtype != torch.float32:
        return tensor.contiguous()
    half = tensor.half()
    if bool(torch.isfinite(half).all()) or not bool(torch.isfinite(tensor).all()):
        return half.contiguous()
    return tensor.contiguous()


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def run_json_text(data: dict, curves: dict[str, list[list]]) -> str:
    """run.json readable at the top, each curve on one line at the bottom."""
    head = json.dumps(data, indent=1)
    lines = [f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in curves.items()]
    return head[:-2] + ',\n "metrics": {\n' + ",\n".join(lines) + "\n }\n}\n"
