"""Claims: what the source articles say, measured on this machine; each claim's runs one click away."""

import pandas as pd
import streamlit as st

from replearn_core.claims import CLAIMS, CLAIMS_BY_ID, DEFAULT_BUDGET_S, estimate_seconds, plan_runs, submit_claim_runs
from replearn_core.claims.localise import localised_row
from replearn_core.claims.table import BADGES, latest_table, page_items
from ui.i18n import error_t, how_to_read, t
from ui.panels import open_page
from ui.presets import preset

# classroom mode: a claim's runs are the student's, within the class limits
page = open_page("claims.title", t("claims.caption"), warm_worker=False)
lang, user, store = page.lang, page.user, page.store
table = latest_table()


def verdict_text(verdict: str) -> str:
    return t("verdict." + verdict.replace(" ", "_"))


def verdict_badge(verdict: str) -> str:
    icon, colour = BADGES.get(verdict, ("❔", "gray"))
    return f":{colour}-badge[{icon} {verdict_text(verdict)}]"


with st.sidebar:
    st.header(t("claims.sidebar"))
    budget_s = st.slider(t("claims.budget"), 10, 300,
                         min(300, max(10, round((table or {}).get("budget_s", DEFAULT_BUDGET_S) / 10) * 10)), 10,
                         help=t("claims.budget_help"))
    seeds = st.number_input(t("claims.seeds"), 1, 5, 1, help=t("claims.seeds_help"))

if table is None:
    st.info(t("claims.none_measured", minutes=f"{estimate_seconds(plan_runs(CLAIMS)) / 60:.0f}"))
else:
    st.markdown(t("claims.measured", date=table["date"], device=table["device"], budget=f"{table['budget_s']:.0f}",
                  seeds=table["seeds"], ssl_seeds=table["ssl_seeds"]))
    st.caption(t("claims.origin", origin=table["origin"]))
    if table.get("overrides"):
        st.warning(t("claims.overrides", overrides=table["overrides"]))
    rows = []  # every text in the page's language: the articles' own words for the claims on a Chinese page
    for source_row in table["rows"]:
        row = localised_row(source_row, table, lang)
        row["verdict"] = f"{BADGES.get(source_row.get('verdict'), ('❔',))[0]} " + verdict_text(
            source_row.get("verdict", "not measured"))
        rows.append(row)
    frame = pd.DataFrame(rows)[["verdict", "claim", "source", "setting", "numbers"]]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"verdict": st.column_config.TextColumn(t("claims.col.verdict"),
                                                                      help=t("claims.col.verdict_help")),
                                "claim": st.column_config.TextColumn(t("claims.col.claim")),
                                "source": st.column_config.TextColumn(t("claims.col.source")),
                                "setting": st.column_config.TextColumn(t("claims.col.setting")),
                                "numbers": st.column_config.TextColumn(t("claims.col.numbers"))})
    how_to_read("claims_table")

items = page_items(table, float(budget_s), int(seeds), lang)
linked = preset("claim", "")  # ?claim=<id>: a lesson's link shows that claim first
items.sort(key=lambda item: item["id"] != linked)
for item in items:
    with st.container(border=True):
        # the articles are Chinese: an English page shows their words under the claim, a Chinese page only them
        headline, other = (item["claim_zh"], None) if lang == "zh" else (item["claim"], item["claim_zh"])
        mark = "📍 " if item["id"] == linked else ""
        badge = verdict_badge(item["verdict"]) if item["verdict"] else f":gray-badge[{verdict_text('not measured')}]"
        st.markdown(f"#### {mark}{headline}  {badge}")
        st.caption(f"{other} · {item['source']}" if other else item["source"])
        if item["measured"]:
            st.markdown(t("claims.setting_numbers", setting=item["setting"], numbers=item["numbers"]))
        if item["why"]:
            st.warning(item["why"], icon="💬")
        with st.expander(t("claims.rule_and_runs")):
            st.markdown(item["rule"])
            st.markdown(t("claims.queues") + "\n" + "\n".join(f"- {name}" for name in item["runs"]))
        if st.button(t("claims.start"), key=f"start_{item['id']}", disabled=not item["startable"],
                     help=t("claims.start_help")):
            try:
                queued = submit_claim_runs(CLAIMS_BY_ID[item["id"]], float(budget_s), int(seeds), store=store,
                                           user=user)
                st.session_state[f"queued_{item['id']}"] = [run_id for _, run_id in queued]
            except (ValueError, KeyError, PermissionError) as exc:
                st.error(t("common.cannot_start", detail=error_t(exc)))
        queued = st.session_state.get(f"queued_{item['id']}")
        if queued:
            st.success(t("claims.queued", n=len(queued), runs=", ".join(queued)))
