"""The first visit to a freshly started server: from its first drawn frame the sidebar shows the app's own
navigation (translated titles, built by app.py's st.navigation), never Streamlit's list of the files in pages/,
and never the Teacher page outside classroom mode.

The page records every state of the sidebar's navigation as it is drawn (a MutationObserver installed before the
page's own scripts) with the milliseconds since the visit began; the test reads them all, so a navigation that
was drawn and replaced a moment later is caught too."""

import sys
from pathlib import Path

import pytest

from replearn_core.i18n import translate
from tests.browser.conftest import CHROMIUM, ROOT, AppServer, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

RECORD_NAVIGATION = """
window.__nav = [];
new MutationObserver(() => {
  const links = [...document.querySelectorAll('[data-testid="stSidebar"] a[href]')];
  const texts = [...new Set(links.map(a => a.textContent.trim()).filter(Boolean))];
  const last = window.__nav.length ? window.__nav[window.__nav.length - 1].texts.join('|') : null;
  if (texts.length && texts.join('|') !== last) window.__nav.push({ms: performance.now(), texts});
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def app_titles(classroom: bool) -> set[str]:
    """The titles app.py gives its pages: Home, then catalogue nav.<key> of each file in pages/ (the Teacher page
    in classroom mode only)."""
    from replearn_core.i18n import translate_or

    titles = {translate("nav.home", "en")}
    for path in (ROOT / "pages").glob("*.py"):
        if path.name.startswith("_"):
            continue
        key = path.stem.split("_", 1)[1] if path.stem[:1].isdigit() else path.stem
        if key != "teacher" or classroom:
            titles.add(translate_or(f"nav.{key}", key.replace("_", " ").capitalize(), "en"))
    return titles


def test_classroom_mode_reads_the_variable_as_the_access_settings_do():
    sys.path.insert(0, str(ROOT))
    from replearn_core.runs.access import ClassroomSettings

    namespace = {"__file__": str(ROOT / "app.py")}
    source = (ROOT / "app.py").read_text().split("lang = language_switch()")[0]
    exec(compile(source, "app.py", "exec"), namespace)  # the definitions only, no page drawn
    for value in ("", "0", "1", "true", " Yes ", "on", "off", "no", "2"):
        env = {"REPLEARN_CLASSROOM": value}
        assert namespace["classroom_mode"](env) == ClassroomSettings.from_env(env).enabled, value


def test_first_visit_shows_the_apps_own_navigation_from_its_first_frame(tmp_path, data_dir, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("REPLEARN_CLASSROOM", raising=False)
    titles = app_titles(classroom=False)
    teacher = translate("nav.teacher", "en")
    assert teacher in app_titles(classroom=True) and teacher not in titles
    server = AppServer(data_dir)  # a fresh server and data folder: nothing compiled, nothing cached
    url = server.wait()
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp_path / "chrome")
            page = browser.new_page()
            page.add_init_script(RECORD_NAVIGATION)
            page.goto(url + "/", wait_until="commit")
            page.wait_for_function("window.__nav && window.__nav.length > 0", timeout=60_000)
            page.wait_for_timeout(3_000)  # whatever the first seconds draw, then replace
            states = page.evaluate("window.__nav")
            page.screenshot(path=str(ROOT / "test-artifacts" / "first_visit.png"))
            browser.close()
    finally:
        server.stop()
    print("navigation drawn after", [round(s["ms"]) for s in states], "ms")  # what bench/responsiveness.py times
    def shown(state) -> set[str]:  # a link's text is its icon, then its title
        return {next((title for title in titles | {teacher} if text.endswith(title)), text) for text in state["texts"]}

    for state in states:  # every frame that had a navigation had ours, without the Teacher page
        assert shown(state) <= titles, state
    assert shown(states[0]) == titles
