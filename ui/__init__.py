"""Small helpers shared by the Streamlit pages (widgets and caching only, no computation)."""
