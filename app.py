"""replearn: the Streamlit entry point. Navigation over the files in pages/ and a home page."""

from pathlib import Path

import streamlit as st

from replearn_core.storage_errors import StoreUnavailable

st.set_page_config(page_title="replearn", page_icon="🧪", layout="wide")

PAGES_DIR = Path(__file__).parent / "pages"
# title and icon per page file; a page file not listed here still appears, titled from its name
PAGE_TITLES = {
    "ssl_lab": ("Self-supervised lab", "🧪"),
    "runs": ("Runs", "📋"),
    "feature_maps": ("Feature maps", "🗺️"),
    "transfer": ("Transfer learning", "🔁"),
    "cyclegan": ("CycleGAN", "🍎"),
    "metric_learning": ("Metric learning", "📏"),
    "domain_adaptation": ("Domain adaptation", "🌉"),
    "claims": ("Claims", "📜"),
}


def page_entries() -> list:
    entries = [st.Page("home.py", title="Home", icon="🏠", default=True)]
    for path in sorted(p for p in PAGES_DIR.glob("*.py") if not p.name.startswith("_")):
        key = path.stem.split("_", 1)[1] if path.stem[:1].isdigit() else path.stem
        title, icon = PAGE_TITLES.get(key, (key.replace("_", " ").capitalize(), "📄"))
        entries.append(st.Page(str(path), title=title, icon=icon, url_path=key))
    return entries


try:
    st.navigation(page_entries()).run()
except StoreUnavailable as exc:  # a full disk, a database held by another program: say what to do, not a traceback
    st.error(str(exc), icon="💾")
