"""The Runs page's table: one row per run the user may see, with its marks (reference, warnings, damage)."""

import pandas as pd
import streamlit as st

from ui.i18n import t

COLUMNS = ["id", "reference", "kind", "status", "warnings", "damage", "method", "dataset", "best_knn_acc",
           "duration_s", "device", "created", "error"]


def runs_frame(rows: list[dict]) -> tuple[pd.DataFrame, dict]:
    """The table of ``rows`` (:func:`replearn_core.runs.listing.run_rows`) and its column settings, titles in
    the page's language; warnings and damage are counted, their text is shown under the table."""
    frame = pd.DataFrame(rows)[COLUMNS]
    frame["reference"] = frame["reference"].map({True: t("runs.reference_mark"), False: ""})
    frame["warnings"] = frame["warnings"].map(lambda w: f"⚠️ {len(w)}" if w else "")
    frame["damage"] = frame["damage"].map(lambda d: f"🩹 {len(d)}" if d else "")
    config = {name: st.column_config.Column(t(f"runs.col.{name}")) for name in COLUMNS}
    config.update({"reference": st.column_config.TextColumn("📌", help=t("runs.col.reference_help")),
                   "warnings": st.column_config.TextColumn("⚠️", help=t("runs.col.warnings_help")),
                   "damage": st.column_config.TextColumn("🩹", help=t("runs.col.damage_help")),
                   "best_knn_acc": st.column_config.NumberColumn(t("runs.col.best_knn_acc"), format="%.3f"),
                   "duration_s": st.column_config.NumberColumn(t("runs.col.duration_s"), format="%.1f")})
    return frame, config
