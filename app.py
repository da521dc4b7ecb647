"""Streamlit entry point: `make run` (or `streamlit run app.py`) opens the guideline explorer."""

import streamlit as st

from graph.ui import library_page

st.set_page_config(page_title="guidegraph", layout="wide")
navigation = st.navigation([st.Page(library_page.render, title="Guideline library", url_path="library", default=True)])
navigation.run()
