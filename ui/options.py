"""One page control per declared method option (replearn_core.options.Option): no page names a method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from replearn_core.i18n import translate_or
from replearn_core.options import Option
from ui.i18n import current_language
from ui.presets import preset


def option_controls(options: Sequence[Option], key: str, method: str | None = None, columns: int = 0) -> dict:
    """Draw each option as a toggle (bool), a radio (choices), a slider (a number with a range) or a
    number box, keyed by ``key`` so two methods' controls never share state; returns {name: value}.

    With ``method``, labels and help come from the catalogue (``option.<method>.<name>.label|help``, the
    declaration's English where it has none), and a URL's ``?<name>=`` (a lesson's preset, ui/presets.py)
    is the control's default. ``columns``: side by side in that many columns (0: one under the other)."""
    values = {}
    lang = current_language()
    places = st.columns(columns) if columns else None
    for i, option in enumerate(options):
        if places is not None:
            with places[i % columns]:
                values.update(option_controls([option], key, method))
            continue
        widget_key = f"{key}_{option.name}"
        if method is not None:
            base = f"option.{method}.{option.name}"
            option = replace(option, label=translate_or(f"{base}.label", option.label, lang),
                             help=translate_or(f"{base}.help", option.help, lang),
                             default=preset(option.name, option.default, choices=option.accepts))
        if option.kind is bool:
            values[option.name] = st.toggle(option.label, option.default, key=widget_key, help=option.help)
        elif option.values:
            values[option.name] = st.select_slider(option.label, list(option.values), option.default, key=widget_key,
                                                   help=option.help)
        elif option.choices:
            values[option.name] = st.radio(option.label, list(option.choices), option.choices.index(option.default),
                                           horizontal=True, key=widget_key, help=option.help)
        elif option.step is not None and option.low is not None and option.high is not None:
            kind = option.kind
            values[option.name] = kind(st.slider(option.label, kind(option.low), kind(option.high), option.default,
                                                 kind(option.step), key=widget_key, help=option.help))
        elif option.kind is int:
            values[option.name] = int(st.number_input(
                option.label, int(option.low) if option.low is not None else None,
                int(option.high) if option.high is not None else None, int(option.default), key=widget_key,
                help=option.help))
        else:
            values[option.name] = float(st.number_input(
                option.label, option.low, option.high, float(option.default), key=widget_key, help=option.help,
                format=option.format or "%.4g"))
    return values
