"""SPARQL console: an editor, the saved queries, a results table and downloads, all through the
guarded query function."""

from __future__ import annotations

import streamlit as st

from .. import console
from ..sparql import saved_queries
from ..views import md_escape
from .common import current_kb, header

EXAMPLE = """SELECT ?drug (COUNT(?statement) AS ?statements) WHERE {
  ?statement gg:mentionsDrug ?d .
  ?d rdfs:label ?drug .
}
GROUP BY ?drug
ORDER BY DESC(?statements)"""


@st.cache_data(show_spinner=False)
def _saved():
    return {query.name: query for query in saved_queries()}


def _load_saved() -> None:
    name = st.session_state.get("sparql_saved")
    if name:
        st.session_state["sparql_text"] = _saved()[name].text
        st.session_state.pop("sparql_outcome", None)


def render() -> None:
    header()
    kb = current_kb()
    saved = _saved()
    st.title("SPARQL console")
    st.caption(console.intro())

    asked = st.query_params.get("saved")
    if asked in saved and st.session_state.get("sparql_synced") != asked:
        st.session_state["sparql_saved"] = asked
        _load_saved()
    st.session_state.setdefault("sparql_text", EXAMPLE)

    names = list(saved)
    chosen = st.selectbox("Saved queries (ontology/queries/)", names, index=None, key="sparql_saved",
                          format_func=lambda n: f"{saved[n].title} ({n})", on_change=_load_saved,
                          placeholder="pick a saved query to load it into the editor")
    query = saved.get(chosen)
    if query is not None:
        edited = " *(edited in the editor below: its parameters no longer apply)*" if st.session_state["sparql_text"] != query.text else ""
        st.markdown(f"**{md_escape(query.title)}.** {md_escape(query.description)}{edited}")
        st.query_params["saved"] = st.session_state["sparql_synced"] = chosen
    elif "saved" in st.query_params:
        del st.query_params["saved"]

    with st.form("sparql"):
        text = st.text_area("Query", key="sparql_text", height=260)
        values = {}
        if query is not None and query.text == text:
            for parameter in query.parameters:
                values[parameter.name] = st.text_input(
                    f"?{parameter.name}" + (" (required)" if parameter.required else " (optional)"),
                    key=f"sparql_param_{query.name}_{parameter.name}", help=parameter.description,
                    placeholder=parameter.description,
                )
        timeout_ms = st.selectbox("Time limit", console.TIME_LIMITS_MS, key="sparql_time_limit",
                                  format_func=console.time_limit_label,
                                  help="A query still computing at this limit is stopped. Questions about the "
                                       "whole of a large library take longer than the default.")
        run = st.form_submit_button("Run query", type="primary", icon=":material/play_arrow:")
    if run:
        st.session_state["sparql_outcome"] = console.run_console(
            kb, text, bindings=values, saved=query, timeout_ms=timeout_ms, name=chosen or "query"
        )
    outcome = st.session_state.get("sparql_outcome")
    if outcome is None:
        return
    if not outcome.ok:
        st.error(md_escape(outcome.message), icon=":material/error:")  # it quotes the query: text, not Markdown
        return
    timing = f" in {outcome.elapsed_ms:.0f} ms" if outcome.elapsed_ms is not None else ""
    (st.warning if outcome.truncated else st.success)(outcome.message + timing)
    if outcome.rows:
        st.dataframe(list(outcome.rows), column_order=list(outcome.columns), hide_index=True, width="stretch")
    columns = st.columns(max(1, len(outcome.downloads)) + 3)
    for column, download in zip(columns, outcome.downloads):
        column.download_button(f"Download {download.label}", download.data, file_name=download.file_name,
                               mime=download.mime, on_click="ignore", icon=":material/download:")
