"""ui/routing.py: how a page tells Streamlit's legacy ``pages/`` router from app.py's navigation, that it fails safe
(no loop, no crash) when Streamlit's internals change, and that the internals it reads are there.

The whole path, a fresh server's first visitor opening each page by URL, is tests/browser/test_deep_links.py.
"""

import dataclasses
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

import ui.routing as routing

ROOT = Path(__file__).resolve().parents[2]
APP, HOME, PAGE = (str(ROOT / name) for name in ("app.py", "home.py", "pages/3_feature_maps.py"))


class FakePagesManager:
    def __init__(self, main: str, pages: dict):
        self.main_script_path = main
        self._pages = pages

    def get_pages(self) -> dict:
        return dict(self._pages)


def run_context(monkeypatch, ctx) -> None:
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx", lambda: ctx)
    monkeypatch.setattr(routing, "_warned", False)


@pytest.mark.parametrize("main, pages, current, legacy", [
    # the legacy router: the entry script is one of the pages, and another page is running
    (APP, {"main": APP, "page": PAGE}, "page", True),
    # app.py's st.navigation: the entry script is no page of its own
    (APP, {"home": HOME, "page": PAGE}, "page", False),
    # the entry script itself running (the home URL under the legacy router, before st.navigation)
    (APP, {"main": APP, "page": PAGE}, "main", False),
    # a page run as the entry script, as AppTest.from_file("pages/...") does
    (PAGE, {"main": PAGE}, "main", False),
    # a page hash the registry does not know
    (APP, {"main": APP, "page": PAGE}, "other", False),
])
def test_the_legacy_router_is_told_from_the_apps_navigation(monkeypatch, main, pages, current, legacy):
    registry = {h: {"script_path": path, "page_script_hash": h} for h, path in pages.items()}
    run_context(monkeypatch, SimpleNamespace(pages_manager=FakePagesManager(main, registry),
                                             page_script_hash=current))
    assert routing._served_by_legacy_router() is legacy


def test_outside_streamlit_nothing_is_routed(monkeypatch):
    run_context(monkeypatch, None)
    assert routing._served_by_legacy_router() is False
    routing.use_app_navigation()  # no error, no rerun


def test_changed_internals_leave_the_page_working_and_say_so_once(monkeypatch, caplog):
    run_context(monkeypatch, SimpleNamespace(page_script_hash="page"))  # no pages_manager any more
    with caplog.at_level(logging.WARNING, logger=routing.__name__):
        assert routing._served_by_legacy_router() is False
        assert routing._served_by_legacy_router() is False
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "page registry" in warnings[0] and "AttributeError" in warnings[0]


def _page_under_a_stuck_legacy_router():
    import streamlit as st

    import ui.routing

    ui.routing._served_by_legacy_router = lambda: True  # a Streamlit whose switch no longer switches
    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    ui.routing.use_app_navigation()
    st.write(f"page body after {st.session_state['runs']} runs")


def test_a_page_is_rerun_at_most_once_so_a_broken_switch_cannot_loop(monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(routing, "_served_by_legacy_router", routing._served_by_legacy_router)  # restored after
    monkeypatch.setattr(routing, "_warned", False)
    at = AppTest.from_function(_page_under_a_stuck_legacy_router, default_timeout=30).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["page body after 2 runs"]  # one rerun, then the page went on
    assert PagesManager.uses_pages_directory is False  # the switch st.navigation flips was flipped
    at.run()
    assert [m.value for m in at.markdown] == ["page body after 3 runs"]  # never again in this session


def test_the_streamlit_internals_it_reads_are_there():
    """A Streamlit upgrade that moves them fails here, not silently on a classroom's first deep link."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import ScriptRunContext, get_script_run_ctx

    assert callable(get_script_run_ctx)
    assert "pages_manager" in {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert isinstance(getattr(ScriptRunContext, "page_script_hash", None), property)
    assert hasattr(PagesManager, "uses_pages_directory")
    saved = PagesManager.uses_pages_directory
    try:
        manager = PagesManager(APP, setup_watcher=False)
        assert Path(manager.main_script_path) == Path(APP)
        assert all("script_path" in info for info in manager.get_pages().values())
    finally:
        PagesManager.uses_pages_directory = saved


def test_st_navigation_flips_the_switch_this_module_flips():
    from streamlit.runtime.pages_manager import PagesManager

    at = AppTest.from_file(APP, default_timeout=60).run()  # app.py calls st.navigation
    assert not at.exception
    assert PagesManager.uses_pages_directory is False
