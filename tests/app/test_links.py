"""Runs named in a page's URL (ui/links.py): the Self-supervised lab and Feature maps pages open on ``?run=<id>``,
write their choice back, and a reload (a new session with the same URL) shows the same runs."""

import os
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from replearn_core.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
LAB, MAPS = str(ROOT / "pages" / "1_ssl_lab.py"), str(ROOT / "pages" / "3_feature_maps.py")


def open_page(path: str, **query) -> AppTest:
    """The page as a new visitor (a new session) with this query string."""
    at = AppTest.from_file(path, default_timeout=90)
    at.query_params.update(query)
    return at.run()


def finished_ssl_run(store: RunStore, method: str) -> str:
    run_id = store.create_run("ssl", {"method": method, "dataset": "shapes"})
    store.finish(run_id, "finished")
    return run_id


def shown_runs(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader if h.value.startswith("Run ")]


def test_the_lab_shows_the_run_its_url_names_not_the_latest(data_dir):
    store = RunStore(data_dir)
    linked = finished_ssl_run(store, "byol")
    latest = finished_ssl_run(store, "simclr")
    assert any(latest in h for h in shown_runs(open_page(LAB)))  # no link: the latest run
    for _ in range(2):  # the first visit, then a reload of the same URL
        at = open_page(LAB, run=linked)
        assert not at.exception and len(shown_runs(at)) == 1 and linked in shown_runs(at)[0]
        assert at.query_params["run"] == linked


def test_a_link_to_a_missing_or_other_kind_of_run_says_so_and_shows_the_latest(data_dir):
    store = RunStore(data_dir)
    latest = finished_ssl_run(store, "simclr")
    metric = store.create_run("metric", {"loss": "triplet"})
    at = open_page(LAB, run="20250101-000000-gone00")
    assert not at.exception and any("20250101-000000-gone00" in w.value and "not in this lab" in w.value
                                     for w in at.warning)
    assert latest in shown_runs(at)[0]
    at = open_page(LAB, run=metric)
    assert any("a metric run" in w.value for w in at.warning) and latest in shown_runs(at)[0]


def test_train_puts_the_new_run_in_the_url_so_a_reload_shows_it(data_dir, monkeypatch):
    monkeypatch.setattr("replearn_core.runs.worker.submit", lambda kind, config, name=None, store=None, owner=None:
                        store.create_run(kind, config, name, owner))
    store = RunStore(data_dir)
    at = open_page(LAB)
    at.button[0].click().run()
    assert not at.exception
    new = store.list_runs(kind="ssl")[0].id
    assert at.query_params["run"] == new
    finished_ssl_run(store, "byol")  # a newer run meanwhile: the reload still shows the one in the URL
    assert new in shown_runs(open_page(LAB, run=new))[0]


def test_feature_maps_open_on_the_runs_the_url_names_and_write_the_choice_back(data_dir):
    store = RunStore(data_dir)  # queued runs are offered (a live run is mapped from its newest checkpoint)
    older = store.create_run("ssl", {"method": "byol", "dataset": "shapes"})
    newer = store.create_run("ssl", {"method": "simclr", "dataset": "shapes"})

    def chosen(at):
        return next(m for m in at.multiselect if m.label.startswith("Runs to map")).value

    at = open_page(MAPS)
    assert not at.exception and [label.split(" · ")[0] for label in chosen(at)] == [newer]
    assert "run" not in at.query_params  # the default choice keeps the URL clean

    at = open_page(MAPS, run=older)
    assert [label.split(" · ")[0] for label in chosen(at)] == [older]
    both = [label for label in next(m for m in at.multiselect if m.label.startswith("Runs to map")).options
            if label.split(" · ")[0] in (older, newer)]
    next(m for m in at.multiselect if m.label.startswith("Runs to map")).set_value(sorted(both)).run()
    assert not at.exception
    assert sorted(at.query_params["run"].split(",")) == sorted([older, newer])

    reloaded = open_page(MAPS, run=at.query_params["run"])
    assert sorted(label.split(" · ")[0] for label in chosen(reloaded)) == sorted([older, newer])
    # the run starts (in this process, so it is not reaped as dead): the choice stays, labels carry no status
    store.update(newer, status="running", pid=os.getpid(), heartbeat=time.time())
    reloaded.run()
    assert sorted(label.split(" · ")[0] for label in chosen(reloaded)) == sorted([older, newer])
