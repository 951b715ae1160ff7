"""Sign-in codes in a real browser: the session lives in a cookie, not the URL; a reload and a new tab keep it;
signing out in one tab signs out the other at its next run, and the cookie is gone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replearn_core.runs.access import User
from replearn_core.runs.signin import SignIns
from tests.browser.conftest import CHROMIUM, ROOT, AppServer, _free_port, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


class CodesServer(AppServer):
    """The app in classroom mode without an identity provider (no secrets file)."""

    def __init__(self, data_dir: Path):
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, REPLEARN_DATA=str(data_dir), REPLEARN_REFRESH_S="2", REPLEARN_CLASSROOM="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_code_sign_in_is_a_cookie_session_that_sign_out_ends_in_every_tab(data_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    signins = SignIns(data_dir)
    code = signins.add_students(User("Ms Li", "teacher"), ["alice"])["alice"]
    server = CodesServer(data_dir)
    try:
        url = server.wait(120)
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp_path / "chrome")
            tab = browser.new_page()
            tab.goto(f"{url}/runs", wait_until="commit")
            tab.get_by_role("textbox", name="Your name").fill("alice", timeout=120_000)
            tab.get_by_role("textbox", name="Sign-in code").fill(code)
            tab.get_by_role("button", name="Sign in", exact=True).click()
            sidebar = tab.get_by_test_id("stSidebar")
            sidebar.get_by_text("Signed in as alice (student)").wait_for(timeout=120_000)
            assert code not in tab.url and "me=" not in tab.url

            def session_cookie(context):
                return next((c for c in context.cookies() if c["name"] == "replearn_session"), None)

            tab.wait_for_function("document.cookie.includes('replearn_session=')", timeout=60_000)
            cookie = session_cookie(browser)
            assert cookie["sameSite"] == "Strict" and cookie["value"] not in tab.url
            assert signins.user_of(cookie["value"]) == User("alice")  # the server's session, by its id

            tab.reload(wait_until="commit")  # a reload: a new Streamlit session, the cookie keeps her signed in
            sidebar.get_by_text("Signed in as alice (student)").wait_for(timeout=120_000)
            other = browser.new_page()  # a second tab of the same browser
            other.goto(f"{url}/runs", wait_until="commit")
            other.get_by_test_id("stSidebar").get_by_text("Signed in as alice (student)").wait_for(timeout=120_000)

            sidebar.get_by_role("button", name="Sign out").click()
            tab.get_by_role("textbox", name="Sign-in code").wait_for(timeout=120_000)
            tab.wait_for_function("!document.cookie.includes('replearn_session=')", timeout=60_000)
            assert signins.user_of(cookie["value"]) is None
            # the other tab: its next run asks the server, which no longer knows the session
            other.get_by_test_id("stSidebar").get_by_text("简体中文").click()
            other.get_by_text("登录码").first.wait_for(timeout=120_000)
            other.get_by_test_id("stSidebar").get_by_text("alice").wait_for(state="detached", timeout=120_000)
            browser.close()
    finally:
        server.stop()
