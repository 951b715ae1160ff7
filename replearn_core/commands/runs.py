"""``python -m replearn_core runs``: list the stored runs."""

from __future__ import annotations

import json
import sys

from replearn_core.runs.listing import run_rows
from replearn_core.runs.reference import open_store

HELP = "list the runs in the data folder (newest first)"


def add_arguments(p) -> None:
    p.add_argument("--kind", help="only runs of this kind (ssl, supervised, transfer, cyclegan, metric, adapt)")
    p.add_argument("--status", help="only runs with this status (queued, running, finished, failed, cancelled)")
    p.add_argument("--json", action="store_true", help="print the list as one JSON array")


def run(args) -> int:
    store = open_store()
    if store.read_only is not None:  # listing needs no writes: say why nothing can change, then list
        print(f"warning: {store.read_only}", file=sys.stderr)
    for problem in store.reference_problems:
        print(f"warning: {problem}", file=sys.stderr)
    rows = run_rows(store, store.list_runs(kind=args.kind, status=args.status))
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no runs yet: start one with `python -m replearn_core train` or in the app")
        return 0
    header = f"{'id':<23} {'kind':<10} {'status':<10} {'method':<13} {'dataset':<14} {'best kNN':>8} {'time s':>8}  device"
    print(header)
    for r in rows:
        knn = "" if r["best_knn_acc"] is None else f"{r['best_knn_acc']:.3f}"
        dur = "" if r["duration_s"] is None else f"{r['duration_s']:.1f}"
        print(f"{r['id']:<23} {r['kind']:<10} {r['status']:<10} {str(r['method'] or ''):<13} "
              f"{str(r['dataset'] or '')[:14]:<14} {knn:>8} {dur:>8}  {r['device'] or ''}"
              + ("  (reference, read-only)" if r["reference"] else "") + ("  (damaged)" if r["damage"] else ""))
        for damage in r["damage"]:  # what of its stored record is damaged: it reads as empty, the rest is listed
            print(f"    damaged: {damage}")
        for warning in r["warnings"]:
            print(f"    warning: {warning}")
    return 0
