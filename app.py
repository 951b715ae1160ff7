"""replearn: the Streamlit entry point. Navigation over the files in pages/ and a home page."""

import os
from pathlib import Path

import streamlit as st

from replearn_core.i18n import translate_or
from replearn_core.storage_errors import StoreUnavailable
from ui.i18n import current_language, error_t, language_switch

st.set_page_config(page_title="replearn", page_icon="🧪", layout="wide")

PAGES_DIR = Path(__file__).parent / "pages"
# icon per page file; titles are the catalogue's nav.<key>. A page file not listed still appears, titled from
# its catalogue key or else from its name
PAGE_ICONS = {
    "ssl_lab": "🧪",
    "runs": "📋",
    "feature_maps": "🗺️",
    "transfer": "🔁",
    "cyclegan": "🍎",
    "metric_learning": "📏",
    "domain_adaptation": "🌉",
    "incremental": "🧩",
    "claims": "📜",
    "lessons": "🎓",
    "teacher": "🧑‍🏫",
}
CLASSROOM_ONLY = {"teacher"}  # pages registered only in classroom mode (REPLEARN_CLASSROOM=1)


def page_number(path: Path) -> tuple:
    """pages/10_teacher.py after pages/9_lessons.py: the number before the name, then the name."""
    number = path.stem.split("_", 1)[0]
    return (int(number) if number.isdigit() else 1_000_000, path.stem)


def classroom_mode(env=None) -> bool:
    """REPLEARN_CLASSROOM as ``replearn_core.runs.access.ClassroomSettings.from_env`` reads it, without importing
    the run store (and torch with it): the navigation is drawn before anything heavy is imported, so the first
    frame of a fresh server already shows it (tests/browser/test_first_visit.py keeps the two readings equal)."""
    env = os.environ if env is None else env
    return env.get("REPLEARN_CLASSROOM", "").strip().lower() in ("1", "true", "yes", "on")


def page_entries(lang: str = "en") -> list:
    classroom = classroom_mode()
    entries = [st.Page("home.py", title=translate_or("nav.home", "Home", lang), icon="🏠", default=True)]
    for path in sorted((p for p in PAGES_DIR.glob("*.py") if not p.name.startswith("_")), key=page_number):
        key = path.stem.split("_", 1)[1] if path.stem[:1].isdigit() else path.stem
        if key in CLASSROOM_ONLY and not classroom:
            continue
        title = translate_or(f"nav.{key}", key.replace("_", " ").capitalize(), lang)
        entries.append(st.Page(str(path), title=title, icon=PAGE_ICONS.get(key, "📄"), url_path=key))
    return entries


# The navigation first, before anything heavy is imported: Streamlit's own list of pages/ is turned off
# (client.showSidebarNavigation in .streamlit/config.toml, which hides st.navigation's list too), so these links
# are the first thing the sidebar shows, in the page's language, the Teacher page only in classroom mode
entries = page_entries(current_language())
current = st.navigation(entries, position="hidden")
with st.sidebar:
    for entry in entries:
        st.page_link(entry)
    st.divider()
lang = language_switch()  # English / 简体中文 in the sidebar of every page, kept in ?lang= and the session
try:
    current.run()
except StoreUnavailable as exc:  # a full disk, a database held by another program: say what to do, not a traceback
    st.error(error_t(exc), icon="💾")
