"""The home page: what the lab is and where to start."""

import streamlit as st

from ui.i18n import t

st.title(t("home.title"))
st.markdown(t("home.body"))
st.caption(t("home.caption"))
