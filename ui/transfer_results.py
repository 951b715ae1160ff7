"""The transfer page's results: accuracy and loss curves per strategy and label fraction while a comparison
runs, then label efficiency, cost, the table (with its CSV) and the recommendation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from replearn_core.transfer.lab import (comparison_curves, cost_figure, curves_figure, label_efficiency_figure,
                                        recommendation_text, results_csv)
from ui.i18n import how_to_read, t
from ui.panels import Page


def comparison_results(page: Page, run) -> None:
    cfg, lang = run.config, page.lang
    curves = comparison_curves(page.store, run.id)
    left, right = st.columns(2)
    left.plotly_chart(curves_figure(curves["acc"], cfg.get("fractions", []), t("transfer.acc_title"), "accuracy",
                                    lang), width="stretch", key=f"acc_{run.id}")
    right.plotly_chart(curves_figure(curves["loss"], cfg.get("fractions", []), t("chart.loss_title"), "loss", lang),
                       width="stretch", key=f"loss_{run.id}")
    how_to_read("transfer_curves")
    rows = run.summary.get("table")
    if not rows:
        return
    left, right = st.columns(2)
    left.plotly_chart(label_efficiency_figure(rows, lang), width="stretch", key=f"eff_{run.id}")
    how_to_read("label_efficiency", left)
    right.plotly_chart(cost_figure(rows, lang), width="stretch", key=f"cost_{run.id}")
    how_to_read("cost", right)
    table = pd.DataFrame(rows)[["strategy", "fraction", "n_labels", "accuracy", "train_time_s", "trainable_params"]]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "strategy": st.column_config.TextColumn(t("transfer.col.strategy")),
        "fraction": st.column_config.NumberColumn(t("transfer.col.fraction"), format="percent"),
        "n_labels": st.column_config.NumberColumn(t("transfer.col.n_labels")),
        "accuracy": st.column_config.NumberColumn(t("chart.accuracy"), format="%.3f"),
        "train_time_s": st.column_config.NumberColumn(t("chart.train_time"), format="%.2f"),
        "trainable_params": st.column_config.NumberColumn(t("transfer.col.trainable_params"), format="%d")})
    st.download_button(t("transfer.csv"), results_csv(rows), file_name=f"transfer_{run.id}.csv", mime="text/csv",
                       on_click="ignore", help=t("transfer.csv_help"))
    st.subheader(t("transfer.recommendation"))
    st.markdown(recommendation_text(run.summary, lang))
