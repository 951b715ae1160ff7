"""Runs as table rows: what the Runs page and ``python -m replearn_core runs`` list, one definition for both."""

from __future__ import annotations

import time

from replearn_core.runs.store import Run, RunStore


def run_rows(store: RunStore, runs: list[Run]) -> list[dict]:
    """One row per run: id, kind, status, method, dataset, best kNN accuracy, duration, device, warnings, error,
    and what of its stored record is damaged (``damage``, empty for a sound run)."""
    return [{"id": r.id, "kind": r.kind, "status": r.status, "reference": r.reference,
             "method": r.config.get("method"), "dataset": r.config.get("dataset"), "backbone": r.config.get("backbone"),
             "best_knn_acc": store.best_metric(r.id, "knn_acc"),
             "duration_s": None if r.duration_s is None else round(r.duration_s, 1),
             "device": r.device, "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)),
             "error": r.error, "warnings": r.warnings, "damage": list(r.damage)} for r in runs]
