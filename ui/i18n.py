"""The page's language: a sidebar switch English / 简体中文, kept for the session and carried by ``?lang=``.

``?lang=zh`` in a link opens the app in Chinese; the choice is then kept in ``st.session_state`` (moving
to another page clears Streamlit's query string, the session keeps the language and writes it back), and
the switch writes it to the URL, so a reload or a copied link keeps it. Only the ``lang`` parameter is
touched: a page's other parameters (``?run=``, a lesson's settings) stay as they are.

Pages call :func:`t` for every string a user reads; ``replearn_core.i18n`` holds the catalogues.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.i18n import (DEFAULT_LANGUAGE, LANGUAGES, error_text, message_text,
                                normalise_language, translate)

PARAM = "lang"  # the query parameter
STATE_KEY = "lang"  # session state: the chosen language code
_WIDGET_KEY = "lang_switch"


def current_language() -> str:
    """The URL's ``?lang=`` when it names a language (a link wins), else the session's choice, else English."""
    in_url = st.query_params.get(PARAM)
    if in_url:
        lang = normalise_language(in_url)
        st.session_state[STATE_KEY] = lang
        return lang
    return normalise_language(st.session_state.get(STATE_KEY, DEFAULT_LANGUAGE))


def t(key: str, /, **params) -> str:
    """The text of ``key`` in the page's language."""
    return translate(key, current_language(), **params)


def error_t(exc: BaseException) -> str:
    """An engine exception's text for the page, in its language where the exception carries a code."""
    return error_text(exc, current_language())


def msg_t(value) -> str:
    """A message from the engine (a run's warning or error, a note, a caption) in the page's language where it
    carries a catalogue code; other texts as they are."""
    return message_text(value, current_language())


def _remember_choice() -> None:
    lang = st.session_state[_WIDGET_KEY]
    st.session_state[STATE_KEY] = lang
    st.query_params[PARAM] = lang


def language_switch() -> str:
    """Draw the sidebar switch and keep the URL's ``?lang=`` in step; returns the language code."""
    lang = current_language()
    in_url = st.query_params.get(PARAM)
    if in_url != lang and (in_url is not None or lang != DEFAULT_LANGUAGE):
        st.query_params[PARAM] = lang  # a page change cleared it: write it back, leaving the other parameters
    st.session_state[_WIDGET_KEY] = lang
    st.sidebar.radio(t("common.language"), list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                     key=_WIDGET_KEY, on_change=_remember_choice)
    return lang


def how_to_read(chart: str, container=None) -> None:
    """The one-line "how to read this" caption beside a chart (catalogue key ``howto.<chart>``)."""
    (container or st).caption(t("common.how_to_read", text=t(f"howto.{chart}")))
