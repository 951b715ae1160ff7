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
the same page, now with the app's navigation. This leans on two Streamlit internals (the
``PagesManager.uses_pages_directory`` switch and the run's page registry), so the pinned Streamlit version
is checked by ``tests/browser/test_deep_links.py``, which opens every page by URL on a fresh server.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st


def _served_by_legacy_router() -> bool:
    """True when this page runs under the legacy ``pages/`` router rather than app.py's navigation.

    The legacy router registers the entry script itself as a page (its home page); app.py's navigation
    never does. A page run directly as the entry script (``AppTest.from_file("pages/…")``) is not routed.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # plain Python, no Streamlit server
        return False
    manager = ctx.pages_manager
    main = Path(manager.main_script_path).resolve()
    pages = manager.get_pages()
    current = pages.get(ctx.page_script_hash, {}).get("script_path")
    if not current or Path(current).resolve() == main:
        return False
    return any(Path(p.get("script_path") or "").resolve() == main for p in pages.values())


def use_app_navigation() -> None:
    """Rerun this URL through app.py's ``st.navigation`` if the legacy ``pages/`` router served it."""
    if not _served_by_legacy_router():
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False  # what st.navigation does on its first call
    st.rerun()
