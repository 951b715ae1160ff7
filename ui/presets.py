"""Settings a page takes from its URL or from session state: how a lesson opens an ordinary page preset.

A lesson's button calls ``st.switch_page(page, query_params={...})`` (``replearn_core.lessons``); the target
page reads each setting with :func:`preset` as the default of its widget, so the page is the ordinary page
with those values filled in, and the student can change them. The contract, for every page that takes presets:

- a setting's query parameter is its name in the page's config (``lambda_cycle``, ``method``,
  ``strategies``, a method option's name such as ``stop_gradient``); lists are comma-separated
  (``strategies=linear,full``);
- ``preset(name, default)`` returns the URL's value converted to the type of ``default`` (int, float,
  bool as ``1/0/true/false``, str, list of the element type), else ``default``; a value that does not
  convert (``?epochs=many``) or that ``choices`` rejects is ignored and the default used;
- a widget takes the preset as its default: the URL does not change while the student works, so the widget
  keeps the student's changes, and a lesson opened from the Lessons page finds the page's widgets new (a
  widget's state goes when a run of another page does not draw it). The declared options and settings
  (``ui.options.option_controls``) take theirs this way, by their names;
- a selectbox or radio takes :func:`preset_index`;
- ``lesson`` names the lesson that opened the page and ``lang`` the language; pages ignore both as settings.

Session state ``preset.<page>.<name>`` may carry the same settings instead of the URL (for settings that do
not fit in a URL); the URL wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

LESSON_PARAM = "lesson"


def _convert(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, tuple)):
        element = default[0] if default else ""
        return [_convert(part, element) for part in raw.split(",") if part.strip()]
    return raw


def preset(name: str, default: Any, page: str | None = None, choices: Callable[[Any], bool] | None = None) -> Any:
    """The value the URL (``?name=``) or session state (``preset.<page>.<name>``) gives this setting, converted
    to ``default``'s type; ``default`` when neither does or the value does not fit (``choices`` rejects it)."""
    raw = st.query_params.get(name)
    if raw is None and page is not None:
        value = st.session_state.get(f"preset.{page}.{name}")
        return default if value is None else value
    if raw is None:
        return default
    try:
        value = _convert(raw, default)
    except (TypeError, ValueError):
        return default
    if choices is not None and not choices(value):
        return default
    return value


def preset_index(name: str, options: list, default_index: int = 0) -> int:
    """The index of the URL's ``?name=`` among ``options`` (compared as text), for a selectbox or radio."""
    raw = st.query_params.get(name)
    names = [str(o) for o in options]
    return names.index(raw) if raw in names else default_index


def lesson_banner() -> None:
    """When a lesson opened this page (``?lesson=<id>``): say so, and link back to the lesson."""
    from streamlit.errors import StreamlitAPIException

    from replearn_core.lessons import LESSONS_BY_ID
    from ui.i18n import current_language, t

    lesson_id = st.query_params.get(LESSON_PARAM)
    if lesson_id not in LESSONS_BY_ID:
        return
    st.info(t("common.lesson_opened", title=t(LESSONS_BY_ID[lesson_id].key("title"))), icon="🎓")
    try:
        st.page_link("pages/9_lessons.py", label=t("common.back_to_lesson"),
                     query_params={LESSON_PARAM: lesson_id, "lang": current_language()})
    except StreamlitAPIException:  # the page run on its own, outside app.py's navigation: no link to draw
        pass
