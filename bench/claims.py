"""The articles' claims, measured on this machine: one table of claim, source, setting, numbers and verdict.

    .venv/bin/python bench/claims.py --publish          # the shipped table: every claim, 90 s per SSL run (~19 min)
    .venv/bin/python bench/claims.py --claims simsiam_stop_gradient,ssl_beats_random_and_pixels
    .venv/bin/python bench/claims.py --budget-s 3 --seeds 1 --max-train-images 256   # a smoke run (~1 min)
    .venv/bin/python bench/claims.py --list             # the claims, their rules and the runs they need

What each claim needs is declared in replearn_core/claims/catalogue.py: ordinary "ssl", "metric", "incremental"
and "transfer" runs with the engine's default configurations (only the time budget of the self-supervised runs
and the seeds are set here), executed in this process by the same jobs as the app's, except that each self-supervised
run gets a fresh process so that its peak memory can be read. Runs shared by several claims run once.
Seeds: runs under a minute (transfers, baselines) get ``--seeds``; self-supervised runs get ``--ssl-seeds``
(default 1 when the budget is a minute or more). The verdict rules and their thresholds are printed with
``--list``; numbers are mean ± std over seeds.

The table goes to bench/results/claims.json (``--out``) and, unless it is a smoke run, to this data folder's
claims/latest.json (what the Claims page shows when it is newer than the shipped one); ``--publish`` also writes
the shipped copy,
assets/claims/latest.json. Runs go to a scratch data folder, deleted unless ``--keep``. The CPU may be
shared: timings then move, and the seconds-per-epoch and memory rows are the first to suffer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


def main() -> int:
    from replearn_core.claims import CLAIMS, CLAIMS_BY_ID, DEFAULT_BUDGET_S, DEFAULT_SEEDS, estimate_seconds, plan_runs

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget-s", type=float, default=DEFAULT_BUDGET_S, help="training seconds of each SSL run")
    p.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="seeds of the runs under a minute")
    p.add_argument("--ssl-seeds", type=int, default=None,
                   help="seeds of the SSL runs (default: 1 with a budget of a minute or more, else --seeds)")
    p.add_argument("--claims", default="", help="comma-separated claim ids (default: all); see --list")
    p.add_argument("--out", default=str(RESULTS / "claims.json"), help="where to write the table as JSON")
    p.add_argument("--publish", action="store_true", help="also write the shipped table, assets/claims/latest.json")
    p.add_argument("--max-train-images", type=int, default=None,
                   help="smoke runs only: at most this many training images (SSL and transfer); refuses --publish")
    p.add_argument("--keep", action="store_true", help="keep the scratch data folder with the runs")
    p.add_argument("--list", action="store_true", help="list the claims, their verdict rules and runs, and stop")
    args = p.parse_args()

    unknown = [c for c in args.claims.split(",") if c and c not in CLAIMS_BY_ID]
    if unknown:
        p.error(f"unknown claim(s) {', '.join(unknown)}; known: {', '.join(CLAIMS_BY_ID)}")
    claims = [CLAIMS_BY_ID[c] for c in args.claims.split(",") if c] or CLAIMS
    overrides = {}
    if args.max_train_images:
        if args.publish:
            p.error("a smoke table (--max-train-images) is not to be shipped; leave out --publish")
        small = {"max_train_images": args.max_train_images, "eval_images": 200, "knn_bank_images": args.max_train_images}
        overrides = {"ssl": small, "transfer": {"max_train_images": args.max_train_images, "eval_images": 200},
                     "metric": {**small, "epochs": 1},
                     "incremental": {"max_train_images": args.max_train_images, "eval_images": 200}}
    plan = plan_runs(claims, args.budget_s, args.seeds, args.ssl_seeds, overrides)
    if args.list:
        for claim in claims:
            print(f"{claim.id}: {claim.text}\n  {claim.text_zh}\n  source: {claim.source}\n  rule: {claim.rule_text()}")
        print("\nruns:\n" + "\n".join(f"  {r.name} (for {', '.join(r.claims)})" for r in plan))
        print(f"\nabout {estimate_seconds(plan) / 60:.0f} min on 2 CPU cores")
        return 0

    from replearn_core.claims.measure import measure_claims
    from replearn_core.claims.table import SHIPPED_TABLE, data_table_path, markdown_table, save_table

    data_copy = data_table_path()  # the app's data folder, before the runs move to a scratch one
    scratch = RESULTS / f"claims_data_{os.getpid()}"
    os.environ["REPLEARN_DATA"] = str(scratch)
    from replearn_core.runs.store import RunStore

    print(f"{len(plan)} runs for {len(claims)} claim(s), about {estimate_seconds(plan) / 60:.0f} min "
          f"(budget {args.budget_s:.0f} s per SSL run)", flush=True)
    started = time.perf_counter()
    store = RunStore(scratch)
    try:
        table = measure_claims(claims, store, args.budget_s, args.seeds, args.ssl_seeds, overrides,
                               on_event=lambda message: print(message, flush=True))
    finally:
        store.close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + markdown_table(table))
    written = [save_table(table, args.out)]
    if not overrides:  # a smoke table never stands in for a measured one on the page
        written.append(save_table(table, data_copy))
    if args.publish:
        written.append(save_table(table, SHIPPED_TABLE))
    print(f"\n{time.perf_counter() - started:.0f} s; written to " + ", ".join(str(w) for w in written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
