"""The library: each guideline with its sections and statements."""

from __future__ import annotations

import streamlit as st

from .common import current_kb, header


def render() -> None:
    header()
    kb = current_kb()
    st.title("Guideline library")
    for doc in kb.documents.values():
        with st.expander(f"{doc.title} — `{doc.id}` ({len(doc.statements)} statements)", expanded=False):
            if not doc.complete:
                st.warning(f"Incomplete document: {doc.incomplete_reason}")
            for section in doc.sections:
                if section.heading:
                    st.markdown(f"**{section.heading}** (line {section.line})")
                for s in section.statements:
                    cites = ", ".join(str(n) for n in s.citations) or "uncited"
                    st.text(f"L{s.line} [{s.kind}] {s.text}  [{cites}]")
