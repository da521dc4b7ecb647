"""What every page shares: the knowledge base, loaded once per process, and the safety header."""

from __future__ import annotations

import os
import sys

import streamlit as st

from ..build import build_notice
from ..conflicts import unit_findings
from ..kb import KnowledgeBase
from ..recommend import titles_of
from ..store import store_from_environment

SAFETY_NOTE = (
    "guidegraph shows **options from the listed sources, for a clinician to check** — not orders. "
    "Every statement carries its guideline, section, source line and citation numbers; "
    "where sources disagree, it says so."
)
#: Session key of the patient's facts, shared by the pathway and export pages.
PATIENT_FACTS = "patient_facts"


@st.cache_resource(show_spinner="Loading the guideline library…")
def knowledge_base(library: str | None, store: str) -> KnowledgeBase:
    # Validation (SHACL and structural checks) takes about as long as loading; it runs when the
    # Conflicts and consistency page first asks for it (validation_report), so the first page opens
    # in half the time. CI validates the bundled library on every change.
    kb = KnowledgeBase.load(library, store=store, validate=False)
    notice = build_notice(kb)  # in the terminal that runs the app, as the CLI says it
    if notice:
        print(notice, file=sys.stderr)
    return kb


@st.cache_resource(show_spinner="Validating the library (SHACL shapes and structural checks)…")
def validation_report(_kb: KnowledgeBase, store_id: int):
    """The library's validation report, computed once per loaded knowledge base (and kept in a
    persistent store built without it, for the next start)."""
    report = _kb.validated_report()
    if _kb.unsaved_report:
        print(build_notice(_kb), file=sys.stderr)
    return report


@st.cache_resource(show_spinner=False)
def unit_checks(_kb: KnowledgeBase, store_id: int) -> list[dict]:
    """Ranges stated in two units and whether they agree, checked once per loaded knowledge base
    (the graph cannot change until the next load; at 1,000 guidelines the check takes 1.6 s)."""
    return unit_findings(_kb.graph)


def current_kb() -> KnowledgeBase:
    """The knowledge base of ``GUIDEGRAPH_LIBRARY`` (default: the bundled seeds) on ``GUIDEGRAPH_STORE``."""
    return knowledge_base(os.environ.get("GUIDEGRAPH_LIBRARY") or None, store_from_environment())


def header() -> None:
    st.info(SAFETY_NOTE, icon=":material/health_and_safety:")


def titles(kb: KnowledgeBase) -> dict[str, str]:
    """Guideline id to title."""
    return titles_of(kb)
