"""Deep links: every page runs inside the app's own navigation, even for a fresh server's first visitor.

Streamlit still treats a ``pages/`` folder beside the entry script as a legacy multipage app until the
entry script calls ``st.navigation``. On a freshly started server, a first visitor who opens
``/feature_maps`` directly is served by that legacy router: it runs ``pages/3_feature_maps.py`` on its
own, never runs ``app.py``, and the page shows Streamlit's file-name navigation ("app", "ssl lab", …)
without the app's titles, icons or wide layout. A server that has already served ``/`` hides this,
because ``st.navigation`` switches the legacy mode off for the whole process.

Each page calls :func:`use_app_navigation` first. Under the legacy router it does what
``st.navigation`` does (switches the legacy mode off) and reruns: the rerun keeps the URL and its query
string, and since a page's identity is the hash of its URL path, ``app.py``'s ``st.navigation`` picks
the same page, now with the app's navigation.

This leans on two Streamlit internals (the ``PagesManager.uses_pages_directory`` switch and the run's page
registry), so it is written to fail safe: if they are missing or behave otherwise after an upgrade, the page
runs on under the legacy router (as before this module existed) and the server log says why, at most once
per process; it reruns a page at most once per session and page, so a switch that stops working cannot loop.
``tests/app/test_routing.py`` checks that the internals are there and how each case is read, and
``tests/browser/test_deep_links.py`` opens every page by URL on a fresh server. (Renaming ``pages/`` would
make Streamlit never start its legacy router, and this module unnecessary.)
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

_log = logging.getLogger(__name__)
_RERUN_KEY = "_replearn_legacy_router_reruns"  # session state: the pages already rerun once
_warned = False


def _warn_once(what: str, exc: BaseException) -> None:
    global _warned
    if not _warned:
        _warned = True
        _log.warning("replearn: deep links may show Streamlit's own navigation: %s (%s: %s)", what,
                     type(exc).__name__, exc)


def _served_by_legacy_router() -> bool:
    """True when this page runs under the legacy ``pages/`` router rather than app.py's navigation.

    The legacy router registers the entry script itself as a page (its home page); app.py's navigation
    never does. A page run directly as the entry script (``AppTest.from_file("pages/…")``) is not routed.
    False, with a warning in the log, when Streamlit's internals cannot be read.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None:  # plain Python, no Streamlit server
            return False
        manager = ctx.pages_manager
        main = Path(manager.main_script_path).resolve()
        pages = manager.get_pages()
        current = (pages.get(ctx.page_script_hash) or {}).get("script_path")
        if not current or Path(current).resolve() == main:
            return False
        return any(Path(p.get("script_path") or "").resolve() == main for p in pages.values())
    except Exception as exc:  # noqa: BLE001 - an upgrade changed the internals: the page still works
        _warn_once("could not read Streamlit's page registry", exc)
        return False


def use_app_navigation() -> None:
    """Rerun this URL through app.py's ``st.navigation`` if the legacy ``pages/`` router served it."""
    if not _served_by_legacy_router():
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        page = get_script_run_ctx().page_script_hash
        if not hasattr(PagesManager, "uses_pages_directory"):
            raise AttributeError("PagesManager.uses_pages_directory is gone")
    except Exception as exc:  # noqa: BLE001
        _warn_once("could not switch Streamlit's legacy router off", exc)
        return
    tried = st.session_state.setdefault(_RERUN_KEY, [])
    if page in tried:  # switched off and rerun already, yet still served by it: do not loop
        _warn_once("the legacy router served the page again after a rerun", RuntimeError(page))
        return
    tried.append(page)
    PagesManager.uses_pages_directory = False  # what st.navigation does on its first call
    st.rerun()
