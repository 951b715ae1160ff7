"""Sign-in through a school's identity provider, end to end: a real OpenID Connect provider process
(``oidc-provider-mock``) on 127.0.0.1, the app started with ``[auth]`` pointing at it, and Chromium signing in
through the provider's own authorization page, as a student and as the teacher (named in
REPLEARN_TEACHER_EMAILS). The names and roles shown come from the provider's accounts; the Teacher page opens
for the teacher only; signing out ends the sign-in."""

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.conftest import CHROMIUM, ROOT, AppServer, _free_port, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

STUDENT, TEACHER = "kim@school.example", "ms.li@school.example"


@pytest.fixture
def provider():
    """A local OpenID Connect provider (any client id and secret are accepted) with two accounts."""
    import httpx
    import werkzeug.serving
    from oidc_provider_mock import app

    server = werkzeug.serving.make_server("127.0.0.1", 0, app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    for email in (STUDENT, TEACHER):
        answer = httpx.put(f"{url}/users/{quote(email)}", json={"email": email, "email_verified": True})
        assert answer.status_code == 204
    yield url
    server.shutdown()
    thread.join(timeout=10)


class ClassroomServer(AppServer):
    """The app in classroom mode with its secrets file (``[auth]``) given on the command line."""

    def __init__(self, data_dir: Path, secrets_dir: Path, provider_url: str):
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        secrets_file = secrets_dir / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{self.url}/oauth2callback"\n'
            'cookie_secret = "a test secret that is long enough to sign cookies"\n'
            'client_id = "replearn"\n'
            'client_secret = "replearn-secret"\n'
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n')
        env = dict(os.environ, REPLEARN_DATA=str(data_dir), REPLEARN_REFRESH_S="2", REPLEARN_CLASSROOM="1",
                   REPLEARN_TEACHER_EMAILS=TEACHER)
        env.pop("REPLEARN_TEACHER_PASSWORD_HASH", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--secrets.files", str(secrets_file)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def sign_in(tab, url: str, account: str) -> None:
    """Through the app's button (on a page that needs a user: the home page is for everyone) and the provider's
    authorization page, back to the app."""
    tab.goto(f"{url}/runs", wait_until="commit")
    tab.get_by_role("button", name="Sign in with your school account").click(timeout=120_000)
    tab.get_by_placeholder("sub").first.fill(account, timeout=60_000)
    tab.get_by_role("button", name="Authorize").click()
    tab.wait_for_url(f"{url}/", timeout=120_000)  # Streamlit lands on the home page, which is for everyone
    tab.goto(f"{url}/runs", wait_until="commit")
    tab.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for(timeout=120_000)


def signed_in_as(tab) -> str:
    return tab.get_by_test_id("stSidebar").get_by_text("Signed in as").inner_text()


def test_a_student_and_the_teacher_sign_in_through_the_schools_provider(provider, data_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    server = ClassroomServer(data_dir, tmp_path, provider)
    try:
        url = server.wait(120)
        with sync_playwright() as p:
            student_browser = launch_chromium(p, tmp_path / "student")
            tab = student_browser.new_page()
            sign_in(tab, url, STUDENT)
            assert signed_in_as(tab) == f"Signed in as {STUDENT} (student)"
            assert "oauth2callback" not in tab.url and STUDENT not in tab.url  # nothing of who she is in the URL
            tab.goto(f"{url}/teacher", wait_until="commit")
            tab.get_by_text("Teachers only").wait_for(timeout=120_000)
            assert tab.get_by_text("Sign-in codes").count() == 0
            # sign out: the app's sign-in page again (through the provider's end-of-session page, if it shows one)
            tab.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
            back = tab.get_by_role("button", name="Sign in with your school account")
            end = tab.get_by_role("button", name="End session")
            back.or_(end).wait_for(timeout=120_000)
            if end.count():
                end.click()
                tab.goto(f"{url}/runs", wait_until="commit")
            back.wait_for(timeout=120_000)
            assert tab.get_by_text("Signed in as").count() == 0
            student_browser.close()

            teacher_browser = launch_chromium(p, tmp_path / "teacher")
            tab = teacher_browser.new_page()
            sign_in(tab, url, TEACHER)
            assert signed_in_as(tab) == f"Signed in as {TEACHER} (teacher)"
            tab.goto(f"{url}/teacher", wait_until="commit")
            tab.get_by_text("Sign-in codes").first.wait_for(timeout=120_000)
            assert tab.get_by_text("Teachers only").count() == 0
            teacher_browser.close()
    finally:
        server.stop()
