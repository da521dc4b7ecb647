"""Export: the decision tree as a diagram and the knowledge graph in standard formats."""

from __future__ import annotations

import streamlit as st

from ..export.downloads import graph_files, tree_files
from ..catalogue import catalogue_of
from ..export.tree import export_tree, pathway_ids
from ..recommend import patient_form_of
from ..views import PATHWAYS_SHOWN, facts_text, md_escape
from .common import PATIENT_FACTS, current_kb, header


@st.cache_data(show_spinner="Drawing the tree…", max_entries=32)
def _interactive(_kb, store_id: int, pathway: str | None, facts: tuple | None) -> str:
    return export_tree(_kb, fmt="html", pathway=pathway, facts=dict(facts) if facts is not None else None)


def _buttons(files, key: str) -> None:
    for column, file in zip(st.columns(len(files)), files):
        if file.unavailable:
            column.button(f"{file.label} (needs Graphviz)", disabled=True, help=file.unavailable,
                          key=f"{key}-{file.file_name}", width="stretch")
            continue
        column.download_button(file.label, file.make, file_name=file.file_name, mime=file.mime, width="stretch",
                               key=f"{key}-{file.file_name}", on_click="ignore", icon=":material/download:")


def render() -> None:
    header()
    kb = current_kb()
    st.title("Export")

    st.header("Decision tree")
    ids = list(pathway_ids(kb.graph, catalogue_of(kb).iris()).values())
    many = len(ids) > PATHWAYS_SHOWN  # all of a large library's trees make files, not a preview
    left, right = st.columns([2, 1])
    pathway = left.selectbox("Pathway", [None, *ids], index=1 if many else 0,
                             format_func=lambda i: "all pathways" if i is None else i)
    facts = st.session_state.get(PATIENT_FACTS) or {}
    highlight = right.toggle("Highlight the patient's path", value=bool(facts), disabled=not facts,
                             help="Uses the facts entered on the Patient pathway page.")
    if facts:
        st.caption(f"Patient: {md_escape(facts_text(facts, patient_form_of(kb)))}")
    else:
        st.caption("To highlight a patient's path, enter their facts on the Patient pathway page first.")
    chosen = facts if highlight else None
    files = tree_files(kb, pathway=pathway, facts=chosen)
    _buttons(files, "tree")
    if pathway is None and many:
        st.info(f"The library has {len(ids):,} pathways: too many trees to preview together. The files above hold "
                "them all; choose one pathway to preview it.")
    else:
        st.caption("Preview of the interactive HTML file: drag to move, scroll to zoom, click a decision node "
                   "to list its statements.")
        st.iframe(_interactive(kb, id(kb), pathway, tuple(chosen.items()) if chosen else None), height=640)

    st.header("Knowledge graph")
    st.caption("The whole graph (guidelines, statements, doses, targets, pathways, terminology, conflicts), "
               "and the pathways as FHIR R4 PlanDefinitions. Each file is made when you click.")
    _buttons(graph_files(kb, pathway=pathway), "graph")
