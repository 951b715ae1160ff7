"""The self-supervised lab's views editor: the method's default augmentation recipe as an editable table, and a
preview of two views of eight images drawn with it."""

from __future__ import annotations

import streamlit as st

from replearn_core.data import DatasetError
from replearn_core.ssl.artifacts import image_grid
from replearn_core.ssl.lab import LabDefaults, augmentation_help, preview_views
from ui.i18n import error_t, t
from ui.presets import preset


def recipe_editor(defaults: LabDefaults, dataset: str, seed: int) -> list[dict]:
    """The recipe rows the user settled on (``?drop=color_jitter``, a lesson's, removes that op by default)."""
    help_text = augmentation_help()
    dropped = preset("drop", "")
    default_rows = [row for row in defaults.default_recipe(dataset) if row["op"] not in dropped.split(",")]
    recipe = st.data_editor(
        default_rows, key=f"recipe_{defaults.name}_{dataset}_{dropped}", num_rows="dynamic", use_container_width=True,
        column_config={
            "op": st.column_config.SelectboxColumn(t("lab.recipe_op"), options=list(help_text), required=True,
                                                   help="; ".join(f"{k}: {v}" for k, v in help_text.items())),
            "p": st.column_config.NumberColumn(t("lab.recipe_p"), min_value=0.0, max_value=1.0, step=0.05,
                                               help=t("lab.recipe_p_help")),
            "strength": st.column_config.NumberColumn(t("lab.recipe_strength"), min_value=0.0, max_value=2.0, step=0.1,
                                                      help=t("lab.recipe_strength_help")),
        })
    try:
        originals, view1, view2 = preview_views(dataset, recipe, n=8, seed=seed)
        st.image(image_grid([originals, view1, view2]).numpy(), caption=t("lab.preview_caption"))
    except (DatasetError, ValueError, KeyError) as exc:
        st.error(t("lab.cannot_preview", error=error_t(exc)))
    return recipe
