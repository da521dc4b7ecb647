"""Guideline reader: each document as its author wrote it, every statement marked and linked."""

from __future__ import annotations

import streamlit as st

from ..reader import filter_lines, reader_lines
from ..recommend import guidelines_of
from ..views import LINE_OF_THERAPY_TITLES, library_rows, md_escape, reader_facets, reader_html
from .common import current_kb, header


def render() -> None:
    header()
    kb = current_kb()
    st.title("Guideline reader")
    guidelines = guidelines_of(kb)  # from the graph: an opened store parses only the document shown
    st.dataframe(library_rows(guidelines), hide_index=True, width="stretch")

    names = {g["id"]: g["title"] for g in guidelines}
    ids = list(names)
    asked = st.query_params.get("guideline")
    doc_id = st.selectbox(
        "Guideline", ids, index=ids.index(asked) if asked in ids else 0,
        format_func=lambda i: f"{names[i]} ({i})",
    )
    st.query_params["guideline"] = doc_id
    doc = kb.documents[doc_id]
    lines = reader_lines(doc, kb.library.read_document(doc_id))
    facets = reader_facets(lines)

    left, middle, right = st.columns(3)
    kinds = left.multiselect("Kind", facets["kinds"], placeholder="all kinds")
    drugs = middle.multiselect("Drug", facets["drugs"], placeholder="all drugs")
    therapy = right.multiselect("Line of therapy", facets["lines_of_therapy"], placeholder="any line",
                                format_func=lambda name: LINE_OF_THERAPY_TITLES[name])
    shown = filter_lines(lines, kinds=set(kinds), drugs=set(drugs), lines_of_therapy=set(therapy))

    if not doc.complete:
        st.warning(f"**Incomplete document.** The text {md_escape(doc.incomplete_reason)}: what follows it is missing "
                   "from the source.",
                   icon=":material/warning:")
    total = len(doc.statements)
    count = sum(1 for line in shown if line.role == "statement")
    st.caption(f"{count} of {total} statements shown · line numbers are the source file's · "
               "“node ↗” opens the statement in the graph explorer")
    st.html(reader_html(shown))
