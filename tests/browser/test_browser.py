"""The whole app once in a real browser: start it, launch a one-epoch run, see the curves appear."""

import time
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, ROOT, launch_chromium

ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def test_one_epoch_run_draws_live_curves(app_url, data_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    from replearn_core.runs.store import RunStore

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p, tmp_path / "chrome")
        page = browser.new_page()
        # as a user does: open the home page, then follow the navigation to the lab
        page.goto(app_url, wait_until="networkidle")
        page.get_by_text("Where to start").first.wait_for(timeout=60_000)
        page.get_by_role("link", name="Self-supervised lab").first.click()
        page.get_by_text("Views: the augmentation recipe").first.wait_for(timeout=60_000)
        # the small built-in digits set keeps the run short on a busy CPU
        page.get_by_role("combobox").first.click()
        page.get_by_role("option", name="digits").first.click()
        page.get_by_text("Views: the augmentation recipe").first.wait_for(timeout=60_000)
        # epochs slider to its minimum (1) with the keyboard
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("Home")
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="▶ Train").click()
        # the run appears and its curves are drawn; the kNN chart shows the untrained baseline line
        try:
            page.get_by_text("untrained encoder").first.wait_for(timeout=300_000)
            page.wait_for_function(
                "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 3",
                timeout=300_000)
        finally:
            page.screenshot(path=str(ARTIFACTS / "ssl_lab_live.png"), full_page=True)
        browser.close()
    store = RunStore(data_dir)
    runs = store.list_runs(kind="ssl")
    assert len(runs) == 1 and runs[0].config["epochs"] == 1 and runs[0].config["dataset"] == "digits"
    assert "knn_acc" in store.metrics(runs[0].id)
    deadline = time.time() + 120
    while time.time() < deadline and store.get_run(runs[0].id).active:
        time.sleep(1)
    assert store.get_run(runs[0].id).status == "finished"
