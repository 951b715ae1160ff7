"""How long each lesson takes on this machine, done as a student does it.

    .venv/bin/python bench/lessons.py                     # every lesson, English
    .venv/bin/python bench/lessons.py --lang zh           # the same in Chinese
    .venv/bin/python bench/lessons.py --lessons collapse  # some lessons only

For each lesson of ``replearn_core/lessons.py``, in a fresh data folder with the shipped reference runs:

1. the Lessons page is opened on that lesson (``/lessons?lesson=<id>``) and its button pressed, which puts the
   lesson's settings in the URL; the lesson's page is then opened with that URL (Streamlit's ``AppTest``, the
   page's own code);
2. *page* is the time that page took to render with those settings (a feature map of the reference runs, for
   the lessons that only read);
3. where the page has a start button (Train, Compare, Adapt), it is pressed as a student would, and *run* is the
   time from that click until the run the page queued is finished (the app's own worker process executes it:
   the warm worker unless ``REPLEARN_WARM_WORKER=0``);
4. *lesson* is page + run, against the lesson's declared ``minutes_cpu`` and the issue's 5 minutes on 2 CPU
   cores (1 minute on a GPU).

It measures wall-clock time: run nothing else meanwhile. The table is printed as Markdown and written to
``bench/results/lessons.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# a page's primary start button
START_LABELS = ("lab.train", "transfer.compare", "cyclegan.train", "da.adapt", "inc.compare")
TARGET_MINUTES_CPU = 5.0


def measure_lesson(lesson, lang: str, timeout_s: float) -> dict:
    from streamlit.testing.v1 import AppTest

    from replearn_core.i18n import translate
    from replearn_core.runs.reference import open_store

    store = open_store()
    before = {run.id for run in store.list_runs()}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout_s)
    at.query_params["lang"] = lang
    at.run()
    at.query_params["lesson"] = lesson.id
    at.switch_page("pages/9_lessons.py").run()
    started = time.perf_counter()
    at.button(key=f"open_{lesson.id}").click().run()  # the button sets the lesson's settings in the URL and
    page_s = time.perf_counter() - started  # opens its page, which renders with them: the time a student waits
    opened = {k: at.query_params[k] for k in at.query_params}
    # AppTest keeps its own current page between runs: the page is opened again by its file with the URL the
    # button made (tests/app/test_lessons.py checks that the button makes exactly that URL), to press its button
    at.switch_page(lesson.page_file)
    for key, value in opened.items():
        at.query_params[key] = value
    at.run()
    row = {"lesson": lesson.id, "page": lesson.page, "page_s": round(page_s, 1), "run_s": None, "run": None,
           "status": "no run: the lesson reads the reference results", "declared_min": lesson.minutes_cpu}
    if at.exception:
        row["status"] = f"page failed: {at.exception[0].message}"
        return row
    labels = {translate(key, lang) for key in START_LABELS}
    buttons = [b for b in at.button if b.label in labels]
    if buttons:
        clicked = time.perf_counter()
        buttons[0].click().run()
        if at.exception:
            row["status"] = f"start failed: {at.exception[0].message}"
            return row
        new = [run for run in store.list_runs() if run.id not in before]
        if not new:
            errors = [e.value for e in at.error]
            row["status"] = f"no run was queued: {errors[:1]}"
            return row
        run_id = new[0].id
        while time.perf_counter() - clicked < timeout_s:
            run = store.get_run(run_id)
            if run.status in ("finished", "failed", "cancelled"):
                break
            time.sleep(0.5)
        run = store.get_run(run_id)
        row.update(run=run_id, run_s=round(time.perf_counter() - clicked, 1), status=run.status,
                   kind=run.kind, config={k: run.config.get(k) for k in ("method", "dataset", "epochs", "options")
                                          if k in run.config})
    row["lesson_s"] = round(row["page_s"] + (row["run_s"] or 0.0), 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    parser.add_argument("--lessons", nargs="*", help="lesson ids (default: all)")
    parser.add_argument("--timeout-s", type=float, default=900.0, help="give up on one lesson's run after this long")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "lessons.json"))
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="replearn-lessons-"))
    os.environ["REPLEARN_DATA"] = str(data)
    os.environ.setdefault("REPLEARN_REFERENCE_RUNS", str(ROOT / "assets" / "reference_runs"))
    from replearn_core.device import describe, pick_device
    from replearn_core.lessons import LESSONS

    chosen = [lesson for lesson in LESSONS if not args.lessons or lesson.id in args.lessons]
    rows = []
    for lesson in chosen:
        print(f"{lesson.id}: opening {lesson.page} ...", flush=True)
        row = measure_lesson(lesson, args.lang, args.timeout_s)
        print(f"  {row}", flush=True)
        rows.append(row)
    print(f"\nLessons on {describe(pick_device())}, {os.cpu_count()} CPU(s), language {args.lang}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| lesson | page | what it runs | page s | run s | lesson min | declared min | ≤ 5 min | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        what = ", ".join(f"{k}={v}" for k, v in (r.get("config") or {}).items() if v not in (None, {})) or "—"
        minutes = r["lesson_s"] / 60 if r.get("lesson_s") is not None else float("nan")
        ok = "yes" if minutes <= TARGET_MINUTES_CPU and (r["run"] is None or r["status"] == "finished") else "**no**"
        run_s = "" if r["run_s"] is None else f"{r['run_s']:.1f}"
        print(f"| {r['lesson']} | {r['page']} | {what} | {r['page_s']:.1f} | {run_s} | {minutes:.2f} | "
              f"{r['declared_min']:g} | {ok} | {r['status']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "lang": args.lang,
                                          "device": describe(pick_device()), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
