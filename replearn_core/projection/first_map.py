"""A reference run's shipped first map: the Feature maps page's default map of the run, computed once when the
reference runs are made (``bench/reference_runs.py``) and drawn by :func:`replearn_core.projection.maps.shipped_map`
on a fresh classroom's first visit, without encoding or projecting anything."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from safetensors.numpy import save_file

from replearn_core.projection.maps import (FIRST_MAP, FIRST_MAP_SETTINGS, _load_split, first_map_file, map_run,
                                           projection_params)
from replearn_core.runs.reference import FIRST_MAP_FILE, run_json_text, read_reference_folder, sha256_file
from replearn_core.runs.store import RunStore


def export_first_map(folder: str | Path) -> Path:
    """Make the reference folder's ``first_map.safetensors``, the Feature maps page's default map of the run
    (:data:`replearn_core.projection.maps.FIRST_MAP_SETTINGS` with the projection's default params), and list it
    in run.json; returns its path. The map is computed from the folder's own float16 encoder in a scratch store,
    exactly as the page would compute it, so the shipped map is the one a request with those settings would
    draw. About 10 kB for the 1,000 test images of shapes."""
    folder = Path(folder)
    asset = read_reference_folder(folder)
    with tempfile.TemporaryDirectory(prefix="first-map-") as scratch:
        store = RunStore(scratch)
        try:
            store.put_reference_run(asset.run, asset.metrics, asset.artifacts, asset.asset_hash)
            settings = FIRST_MAP_SETTINGS
            fmap = map_run(store, asset.run["id"], settings["method"], None, settings["max_points"],
                           settings["split"], use_cache=False)
        finally:
            store.close()
    total = len(_load_split(fmap.dataset, fmap.split, fmap.image_size))
    tensors, metadata = first_map_file(fmap, projection_params(settings["method"]), settings["max_points"], total)
    path = folder / FIRST_MAP_FILE
    tmp = folder / f".{FIRST_MAP_FILE}.tmp-{os.getpid()}"
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.chmod(0o644)
    tmp.replace(path)
    data = json.loads((folder / "run.json").read_text())
    curves = data.pop("metrics")
    step = next((f.get("step") for f in data["files"] if f["kind"] == "checkpoint"), None)
    entry = {"name": FIRST_MAP, "kind": FIRST_MAP, "file": FIRST_MAP_FILE, "step": step,
             "meta": {"method": fmap.method, "points": len(fmap.coords), "split": fmap.split,
                      "precision": "float16"},
             "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    files = data.pop("files")
    data["files"] = [f for f in files if f["file"] != FIRST_MAP_FILE] + [entry]  # files stays last before metrics
    tmp_json = folder / f".run.json.tmp-{os.getpid()}"
    tmp_json.write_text(run_json_text(data, curves))
    tmp_json.chmod(0o644)
    tmp_json.replace(folder / "run.json")
    return path
