"""Streamlit entry point: `make run` (or `streamlit run app.py`) opens the guideline explorer."""

import streamlit as st

from graph.ui import conflicts_page, explorer_page, export_page, pathway_page, reader_page, sparql_page

st.set_page_config(page_title="guidegraph", page_icon=":material/account_tree:", layout="wide")
navigation = st.navigation([
    # The default page is served at the root; /pathway, as the other pages' addresses suggest, opens it too
    # (a hidden twin: the default page's own url_path is never shown, and names must be unique).
    st.Page(pathway_page.render, title="Patient pathway", url_path="patient", default=True, icon=":material/person:"),
    st.Page(pathway_page.render, title="Patient pathway", url_path="pathway", visibility="hidden"),
    st.Page(reader_page.render, title="Guideline reader", url_path="reader", icon=":material/menu_book:"),
    st.Page(explorer_page.render, title="Graph explorer", url_path="explorer", icon=":material/hub:"),
    st.Page(sparql_page.render, title="SPARQL console", url_path="sparql", icon=":material/terminal:"),
    st.Page(conflicts_page.render, title="Conflicts and consistency", url_path="conflicts", icon=":material/compare_arrows:"),
    st.Page(export_page.render, title="Export", url_path="export", icon=":material/download:"),
], position="top")
navigation.run()
