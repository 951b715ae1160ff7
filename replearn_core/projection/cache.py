"""A small two-level cache for features and maps: a dict in memory, safetensors files on disk.

Keys are strings built from everything the value depends on (run, checkpoint and its time, dataset,
split, method, parameters); the file name is their SHA-1. Values are dicts of numpy arrays plus a
JSON-able ``meta`` dict, written atomically and read back without unpickling anything.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from replearn_core.paths import data_root
from replearn_core.storage_errors import explain_storage_error


class ArrayCache:
    def __init__(self, name: str, max_in_memory: int = 16, folder: Path | None = None):
        self.name = name
        self.folder = folder
        self.max_in_memory = max_in_memory
        self._memory: OrderedDict[str, tuple[dict, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        """Where a key's file is; the folder is made only by :meth:`put` (a read never creates anything)."""
        folder = self.folder or data_root() / "cache" / self.name
        return folder / (hashlib.sha1(key.encode()).hexdigest() + ".safetensors")

    def get(self, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        path = self._path(key)
        if not path.exists():
            return None
        try:
            from safetensors import safe_open

            with safe_open(str(path), framework="numpy") as f:
                arrays = {k: f.get_tensor(k) for k in f.keys()}
                meta = json.loads((f.metadata() or {}).get("meta", "{}"))
        except Exception:  # noqa: BLE001 - a damaged cache file is recomputed, never fatal
            try:
                path.unlink(missing_ok=True)
            except OSError:  # a read-only data folder: it stays, and is recomputed each time
                pass
            return None
        if meta.get("key") != key:
            return None
        self._remember(key, arrays, meta)
        return arrays, meta

    def put(self, key: str, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
        from safetensors.numpy import save_file

        meta = dict(meta or {}, key=key)
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        self._remember(key, arrays, meta)
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_file(arrays, str(tmp), metadata={"meta": json.dumps(meta)})
            tmp.replace(path)
        except Exception as exc:  # noqa: BLE001 - safetensors reports a full disk as a plain Exception
            # a full or read-only disk only costs the on-disk copy (the value is kept in memory); anything
            # else is a fault of the lab and is raised
            if explain_storage_error(exc, path.parent) is exc:
                raise
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass

    def _remember(self, key, arrays, meta) -> None:
        with self._lock:
            self._memory[key] = (arrays, meta)
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_in_memory:
                self._memory.popitem(last=False)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
