"""Real-browser tests: a Streamlit server of the app in a subprocess, and headless Debian Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` on a free port of 127.0.0.1, started at once; :meth:`wait` until it answers."""

    def __init__(self, data_dir: Path):
        port = _free_port()
        env = dict(os.environ, REPLEARN_DATA=str(data_dir), REPLEARN_REFRESH_S="2")
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait(self, timeout_s: float = 60) -> str:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=2)
                return self.url
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        self.process.kill()
        pytest.fail("the app did not start: " + self.process.stdout.read().decode(errors="replace")[-2000:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def launch_chromium(playwright, user_data_dir: Path, width: int = 1500, height: int = 1100):
    """Headless Chromium with a fresh user-data-dir (a persistent context is how Playwright takes one)."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, headless=True, viewport={"width": width, "height": height},
        args=CHROMIUM_ARGS)


@pytest.fixture
def app_url(data_dir):
    server = AppServer(data_dir)
    yield server.wait()
    server.stop()
