"""Domain adaptation: carry a classifier from printed to handwritten digits (or any two domains)."""

import streamlit as st

from replearn_core.adaptation import ADAPT_METHODS
from replearn_core.adaptation.job import SETTINGS, AdaptConfig
from replearn_core.adaptation.lab import (accuracy_figure, comparison_rows, domain_gap_reading, feature_map_figure,
                                            start_adapt_run)
from replearn_core.backbones import BACKBONES
from replearn_core.escape import markdown_text
from ui.i18n import t
from ui.options import option_controls
from ui.panels import card_t, live_run, method_card, open_page, start_button
from ui.pickers import dataset_picker
from ui.presets import preset_index

page = open_page("da.title", t("da.caption"))
defaults = AdaptConfig()


def method_title(m: str) -> str:
    return t("da.all") if m == "all" else card_t(ADAPT_METHODS[m].card()).title


def domain_picker(name: str, label: str, default: str, help_text: str) -> str:
    return dataset_picker(label, default, help_text, preset_name=name, folder_label=t("da.folder", label=label),
                          folder_help=t("da.folder_help"))


with st.sidebar:
    st.header(t("lab.settings"))
    source = domain_picker("source", t("da.source"), defaults.source, t("da.source_help"))
    target = domain_picker("target", t("da.target"), defaults.target, t("da.target_help"))
    method_names = list(ADAPT_METHODS) + ["all"]
    method = st.selectbox(t("lab.method"), method_names, index=preset_index("method", method_names),
                          format_func=method_title, help=t("da.method_help"))
    backbone = st.selectbox(t("lab.backbone"), list(BACKBONES), help=t("da.backbone_help"))
    declared = ADAPT_METHODS.get(method)  # None: every method in one run, each at its own measured weight
    if declared is None:
        st.caption(t("da.weight_defaults", weights=", ".join(
            f"{method_title(m)} {d.weight:g}" for m, d in ADAPT_METHODS.items() if d.options)))
    # the method's alignment weight, then epochs, source-only start, learning rate, seed: as declared
    values = option_controls(declared.options if declared else (), f"da_{method}", method="adapt")
    values |= option_controls(SETTINGS, "da", method="adapt")

if declared is not None:
    method_card(declared.card())

config = dict(defaults.to_dict(), source=source, target=target, method=method, backbone=backbone, **values)
start_button(t("da.adapt"), t("da.adapt_help"), lambda: start_adapt_run(config, page.store, user=page.user),
             "adapt_run_id", t("lab.queued"))


def show_result(run):
    s = run.summary
    if run.status != "finished":
        return
    if s.get("target_acc_before") is not None:
        c1, c2 = st.columns(2)
        c1.metric(t("da.acc_before"), f"{s['target_acc_before']:.3f}")
        c2.metric(t("da.acc_after"), f"{s['target_acc_after']:.3f}",
                  delta=f"{s['target_acc_after'] - s['target_acc_before']:+.3f}")
    st.plotly_chart(accuracy_figure(s), use_container_width=True, key=f"acc_{run.id}")
    colour_by = st.radio(t("da.colour_by"), ["domain", "class"], horizontal=True, key=f"colour_{run.id}",
                         format_func=lambda c: t(f"da.colour_{c}"), help=t("da.colour_help"))
    reading = domain_gap_reading(s, page.lang)
    if reading:
        st.caption(reading)
    methods = list(s.get("target_acc", {}))
    columns = st.columns(min(len(methods), 2) or 1)
    for i, m in enumerate(methods):
        fig = feature_map_figure(page.store, run.id, m, colour_by)
        if fig is not None:
            label = t("da.before") if ADAPT_METHODS[m].alignment is None else t("da.after")  # the control: before
            columns[i % len(columns)].caption(label)
            columns[i % len(columns)].plotly_chart(fig, use_container_width=True, key=f"map_{run.id}_{m}")


live_run(page, "adapt", "adapt_run_id", t("da.no_run"),
         lambda run: t("da.run_header", id=run.id, method=markdown_text(run.config.get("method")),
                       source=markdown_text(run.config.get("source")), target=markdown_text(run.config.get("target"))),
         show_result)

rows = comparison_rows(page.store, page.user)
if rows:
    st.header(t("da.all_runs"))
    st.dataframe(rows, use_container_width=True, hide_index=True)
