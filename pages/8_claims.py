"""Claims: what the source articles say, measured on this machine; each claim's runs one click away."""

import pandas as pd
import streamlit as st

from replearn_core.claims import CLAIMS, CLAIMS_BY_ID, DEFAULT_BUDGET_S, estimate_seconds, plan_runs, submit_claim_runs
from replearn_core.claims.table import latest_table, page_items, summary_rows
from ui.common import get_store
from ui.routing import use_app_navigation

use_app_navigation()  # a deep link on a fresh server: rerun it inside app.py's navigation

st.title("📜 Claims")
st.caption("The course's articles make claims about self-supervised and transfer learning. Each row below was "
           "measured with ordinary runs (`python bench/claims.py`) and judged by a stated rule: reproduced, "
           "not reproduced or reversed.")
store = get_store()
table = latest_table()

with st.sidebar:
    st.header("Starting a claim's runs")
    budget_s = st.slider("Seconds per self-supervised run", 10, 300,
                         min(300, max(10, round((table or {}).get("budget_s", DEFAULT_BUDGET_S) / 10) * 10)), 10,
                         help="Each self-supervised run stops after this much training time, the same for every "
                              "method (equal wall time). The measured table used the value it shows above it.")
    seeds = st.number_input("Seeds", 1, 5, 1,
                            help="How many times each run is repeated with a different seed. The measured table used "
                                 "more for the cheap runs; one is enough to watch a claim play out.")

if table is None:
    st.info("No claims table has been measured yet: the claims and the runs each needs are listed below. "
            f"`python bench/claims.py --publish` measures them (about {estimate_seconds(plan_runs(CLAIMS)) / 60:.0f} "
            "minutes on 2 CPU cores).")
else:
    st.markdown(f"**Measured** {table['date']} · **device** {table['device']} · **budget** "
                f"{table['budget_s']:.0f} s per self-supervised run · **seeds** {table['seeds']} for runs under a "
                f"minute, {table['ssl_seeds']} for self-supervised runs")
    st.caption(f"from the {table['origin']}")
    if table.get("overrides"):
        st.warning(f"This table was measured with smoke-test settings ({table['overrides']}): its numbers say "
                   "little.")
    frame = pd.DataFrame(summary_rows(table))[["verdict", "claim", "source", "setting", "numbers"]]
    st.dataframe(frame, hide_index=True, use_container_width=True,
                 column_config={"verdict": st.column_config.TextColumn(
                     "verdict", help="reproduced: the measured difference has the claimed sign and clears the "
                                     "margin; reversed: it clears it the other way; not reproduced: neither.")})

for item in page_items(table, float(budget_s), int(seeds)):
    with st.container(border=True):
        st.markdown(f"#### {item['claim']}  " + (f"{item['badge']}" if item["badge"] else ":gray-badge[not measured yet]"))
        st.caption(f"{item['claim_zh']} · {item['source']}")
        if item["measured"]:
            st.markdown(f"**Setting:** {item['setting']}\n\n**Numbers:** {item['numbers']}")
        if item["why"]:
            st.warning(item["why"], icon="💬")
        with st.expander("Verdict rule and runs"):
            st.markdown(item["rule"])
            st.markdown("Its button queues:\n" + "\n".join(f"- {name}" for name in item["runs"]))
        if st.button("▶ Start this claim's runs", key=f"start_{item['id']}", disabled=not item["startable"],
                     help="Queue this claim's runs as ordinary runs (the settings in the sidebar); they run one "
                          "after another in a worker process. Watch them on the Runs page."):
            try:
                queued = submit_claim_runs(CLAIMS_BY_ID[item["id"]], float(budget_s), int(seeds), store=store)
                st.session_state[f"queued_{item['id']}"] = [run_id for _, run_id in queued]
            except (ValueError, KeyError) as exc:
                st.error(f"Cannot start: {exc}")
        queued = st.session_state.get(f"queued_{item['id']}")
        if queued:
            st.success(f"Queued {len(queued)} run(s): {', '.join(queued)}. Watch them on the 📋 Runs page "
                       "(sidebar).")
