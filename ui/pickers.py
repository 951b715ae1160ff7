"""Controls several pages share, written once: the dataset picker.

Every page that trains on images offers the built-in datasets (marked when they need a download) and a
``folder:…`` entry that asks for a path; a lesson's link presets the choice with ``?<preset>=name``.
"""

from __future__ import annotations

import streamlit as st

from replearn_core.data import DATASETS
from ui.i18n import t
from ui.presets import preset_index

FOLDER = "folder:…"  # the entry that asks for a path to a class-per-folder image tree


def dataset_picker(label: str, default: str, help_text: str, preset_name: str = "dataset",
                   names: list[str] | None = None, folder_label: str | None = None,
                   folder_help: str | None = None) -> str:
    """A dataset select box (``names``: the built-in datasets by default) with a ``folder:…`` entry; returns
    the dataset spec, ``folder:PATH`` for a folder. ``?<preset_name>=`` in the URL preselects an entry."""
    names = list(DATASETS) if names is None else list(names)
    choices = names + [FOLDER]

    def shown(name: str) -> str:
        spec = DATASETS.get(name)
        return name if spec is None or spec.offline else f"{name}{t('lab.download_suffix')}"

    choice = st.selectbox(label, choices, index=preset_index(preset_name, choices, names.index(default)),
                          format_func=shown, help=help_text)
    if choice == FOLDER:
        return "folder:" + st.text_input(folder_label or t("common.folder_path"),
                                         help=folder_help or t("common.folder_help"))
    return choice
