"""What every page shares: the knowledge base, loaded once per process, and the safety header."""

from __future__ import annotations

import os

import streamlit as st

from ..kb import KnowledgeBase

SAFETY_NOTE = (
    "guidegraph shows **options from the listed sources, for a clinician to check** — not orders. "
    "Every statement carries its guideline, section, source line and citation numbers."
)


@st.cache_resource(show_spinner="Loading the guideline library…")
def knowledge_base(library: str | None, store: str) -> KnowledgeBase:
    return KnowledgeBase.load(library, store=store)


def current_kb() -> KnowledgeBase:
    return knowledge_base(os.environ.get("GUIDEGRAPH_LIBRARY"), os.environ.get("GUIDEGRAPH_STORE", "memory"))


def header() -> None:
    st.caption(SAFETY_NOTE)
