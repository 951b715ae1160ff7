"""Deep links: every page opened by its URL as the first visitor of a freshly started server.

A server that has already served ``/`` hides the bug this guards against (Streamlit's legacy ``pages/``
router serving the page without the app's navigation), so each page gets its own fresh server. The
servers start together and the pages load in parallel tabs to keep the test short.
"""

import ast
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, ROOT, AppServer, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def app_pages() -> dict[str, tuple[str, str]]:
    """{url path: (title, icon)} of every page of app.py's navigation: icons from app.py's PAGE_ICONS, English
    titles from the catalogue's nav.<path>."""
    from replearn_core.i18n import catalogue

    tree = ast.parse((ROOT / "app.py").read_text())
    icons = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", None) == "PAGE_ICONS")
    classroom_only = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                          and getattr(node.targets[0], "id", None) == "CLASSROOM_ONLY")
    files = sorted((ROOT / "pages").glob("[0-9]*.py"), key=lambda p: int(p.stem.split("_", 1)[0]))  # 2 before 11
    paths = [p.stem.split("_", 1)[1] for p in files]
    assert set(paths) == set(icons), "every page file has its icon in app.py"
    paths = [path for path in paths if path not in classroom_only]  # not in the navigation out of the box
    assert all(f"nav.{path}" in catalogue("en") for path in paths), "every page has its title in the catalogue"
    return {"": ("Home", "🏠"), **{path: (catalogue("en")[f"nav.{path}"], icons[path]) for path in paths}}


def test_every_page_opens_by_url_on_a_fresh_server_with_the_apps_navigation(data_dir, tmp_path):
    from playwright.sync_api import sync_playwright

    pages = app_pages()
    servers = {path: AppServer(data_dir) for path in pages}  # one fresh server per page, all starting at once
    try:
        urls = {path: f"{server.wait(120)}/{path}?probe=kept" for path, server in servers.items()}
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp_path / "chrome", height=900)
            tabs = {path: browser.new_page() for path in pages}
            for path, tab in tabs.items():  # each tab is its server's first visitor
                tab.goto(urls[path], wait_until="commit")
            for path, tab in tabs.items():
                _check_page(tab, path, *pages[path], pages)
                tab.reload(wait_until="commit")  # a reload keeps the page and its query string
                _check_page(tab, path, *pages[path], pages)
            browser.close()
    finally:
        for server in servers.values():
            server.stop()


def _check_page(tab, path: str, title: str, icon: str, pages: dict) -> None:
    nav = tab.get_by_test_id("stSidebarUserContent")  # app.py's links (st.page_link)
    # the app's own labels (not Streamlit's file names such as "ssl lab") once app.py's navigation has run
    nav.get_by_text("Self-supervised lab", exact=True).wait_for(timeout=120_000)
    links = [text.strip() for text in nav.get_by_test_id("stPageLink-NavLink").all_inner_texts()]
    assert [" ".join(link.split()) for link in links] == [f"{i} {t}" for t, i in pages.values()], path
    heading = tab.locator("h1").first
    heading.wait_for(timeout=120_000)
    if path:  # each page's heading is its icon and title; Home has its own
        assert heading.inner_text().startswith(f"{icon} {title}"), (path, heading.inner_text())
    else:
        assert heading.inner_text().startswith("replearn")
    assert tab.url.endswith(f"/{path}?probe=kept"), tab.url
    width = tab.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                         ".getBoundingClientRect().width")
    assert width > 900, f"/{path}: the main column is {width} px wide, not the app's wide layout"
    assert tab.get_by_test_id("stException").count() == 0, path
