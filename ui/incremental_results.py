"""The incremental-learning page's results: per scenario, the average-accuracy curves, each task's forgetting, a
one-line reading, the accuracy matrix of the strategy picked and its feature map after a chosen task (live while
the comparison runs), then the comparison table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from replearn_core.incremental import IncrementalConfig
from replearn_core.incremental.lab import (average_figure, feature_map_figure, forgetting_figure, matrix_figure,
                                           reading, results_of)
from ui.i18n import t
from ui.panels import Page


def comparison_results(page: Page, run, titles: dict[str, str]) -> None:
    """Everything a comparison has measured so far; ``titles``: the strategies' names in the page's language."""
    defaults = IncrementalConfig()
    results = results_of(run, page.store, page.user)
    n_tasks = int(run.config.get("n_tasks", defaults.n_tasks))
    if run.summary.get("tasks"):
        st.caption(t("inc.tasks_are", tasks=" · ".join(f"{i + 1}: {', '.join(names)}"
                                                        for i, names in enumerate(run.summary["tasks"]))))
    for scenario_key, by_strategy in results.items():
        st.subheader(t(f"inc.scenario.{scenario_key}"))
        left, right = st.columns(2)
        left.plotly_chart(average_figure(by_strategy, n_tasks, t("inc.average_title"), t("inc.after_task"),
                                         t("inc.average_accuracy"), titles), width="stretch",
                          key=f"avg_{run.id}_{scenario_key}")
        right.plotly_chart(forgetting_figure(by_strategy, t("inc.forgetting_title"), t("inc.task"),
                                             t("inc.forgetting"), titles), width="stretch",
                           key=f"fgt_{run.id}_{scenario_key}")
        line = reading(by_strategy, page.lang)
        if line:
            st.caption(line)
        chosen = st.radio(t("inc.matrix_of"), list(by_strategy), horizontal=True, format_func=titles.get,
                          key=f"pick_{run.id}_{scenario_key}", help=t("inc.matrix_help"))
        done = len(by_strategy[chosen]["matrix"])
        left, right = st.columns(2)
        left.plotly_chart(matrix_figure(by_strategy[chosen]["matrix"], n_tasks, t("inc.matrix_title"),
                                        row_label=t("inc.after_task"), column_label=t("inc.tested_on")),
                          width="stretch", key=f"matrix_{run.id}_{scenario_key}")
        after = right.slider(t("inc.map_after"), 1, max(done, 2), done, key=f"map_{run.id}_{scenario_key}",
                             help=t("inc.map_help"), disabled=done < 2)
        fig = feature_map_figure(page.store, run.id, scenario_key, chosen, after, title=t("inc.map_title", task=after),
                                 user=page.user)
        if fig is not None:
            right.plotly_chart(fig, width="stretch", key=f"fmap_{run.id}_{scenario_key}_{chosen}")
    if run.status == "finished" and run.summary.get("table"):
        st.dataframe(pd.DataFrame(run.summary["table"]), hide_index=True, width="stretch", column_config={
            "scenario": st.column_config.TextColumn(t("inc.scenario")),
            "strategy": st.column_config.TextColumn(t("inc.strategy")),
            "average_accuracy": st.column_config.NumberColumn(t("inc.average_accuracy"), format="%.3f"),
            "mean_forgetting": st.column_config.NumberColumn(t("inc.forgetting"), format="%.3f"),
            "bwt": st.column_config.NumberColumn(t("inc.bwt"), format="%+.3f"),
            "train_time_s": st.column_config.NumberColumn(t("chart.train_time"), format="%.1f")})
