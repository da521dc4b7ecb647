"""Graph explorer: the neighbourhood of a chosen node, drawn with vis-network (pyvis's engine)."""

from __future__ import annotations

import streamlit as st

from ..explore import MAX_DEPTH, MAX_VIEW_NODES, neighbourhood, start_nodes
from ..export.visnetwork import neighbourhood_page, prefers_hierarchy
from ..views import md_escape, node_choice, node_choice_text
from .common import current_kb, header

DEFAULT_NODE = "https://w3id.org/guidegraph/kb/drug/tacrolimus"
LAYOUTS = {"automatic": None, "tree (left to right)": True, "force (cloud)": False}


@st.cache_data(show_spinner=False, max_entries=64)
def _page(_kb, store_id: int, iri: str, depth: int, hierarchical: bool | None, cap: int) -> tuple:
    view = neighbourhood(_kb.graph, iri, depth=depth, max_nodes=cap)
    return view, neighbourhood_page(view, hierarchical=hierarchical)


@st.cache_resource(show_spinner="Listing the nodes to start from…")
def _choices(_kb, store_id: int) -> list[tuple[str, str, str]]:
    """The start nodes, listed once per knowledge base (a large library has tens of thousands)."""
    return start_nodes(_kb)


def _recentre() -> None:
    st.session_state["explorer_node"] = st.session_state["explorer_neighbour"]
    st.session_state["explorer_neighbour"] = None


def render() -> None:
    header()
    kb = current_kb()
    st.title("Graph explorer")
    choices = _choices(kb, id(kb))
    by_iri = {choice[2]: choice for choice in choices}

    # The address wins when it changed since this page last wrote it (a link from the reader, a
    # shared URL); otherwise the widgets hold the state and the address follows them.
    asked = st.query_params.get("node")
    if "explorer_node" not in st.session_state or (asked and asked != st.session_state.get("explorer_synced")):
        start = node_choice(kb.graph, asked) if asked else None
        if asked and start is None:
            st.error(f"The graph has no node {md_escape(asked)}; showing {DEFAULT_NODE} instead.")
        st.session_state["explorer_node"] = start or by_iri.get(DEFAULT_NODE) or choices[0]
    current = st.session_state["explorer_node"]
    if current[2] not in by_iri:  # a node reached by re-centring (a decision node, a dose): offer it too
        choices = [current, *choices]

    left, middle, right = st.columns([3, 1, 1])
    centre = left.selectbox("Centre node (type to search drugs, statements, conditions, citations, pathways)",
                            choices, key="explorer_node", format_func=node_choice_text)
    depth = middle.slider("Depth (links away)", 1, MAX_DEPTH, 1)
    layout = right.radio("Layout", list(LAYOUTS), horizontal=False)
    st.query_params["node"] = st.session_state["explorer_synced"] = centre[2]

    view, page = _page(kb, id(kb), centre[2], depth, LAYOUTS[layout], MAX_VIEW_NODES)
    if view.capped:
        st.warning(f"This neighbourhood has {view.total} nodes; the view is capped at the {MAX_VIEW_NODES} "
                   "nearest. Lower the depth or pick a more specific node to see everything.",
                   icon=":material/filter_alt:")
    tree = LAYOUTS[layout] if LAYOUTS[layout] is not None else prefers_hierarchy(view)
    st.caption(f"{'Tree' if tree else 'Force'} layout · drag to move, scroll to zoom, hover for the whole label, "
               "click a node for its properties · colours and shapes by type (legend above the drawing)")
    st.iframe(page, height=640)

    neighbours = [n for n in view.nodes if n.iri != centre[2]]
    st.selectbox("Re-centre on a node of this view", [(n.type, n.label, n.iri) for n in neighbours], index=None,
                 key="explorer_neighbour", format_func=node_choice_text, on_change=_recentre,
                 placeholder="pick a neighbour to explore from there")
    with st.expander(f"Nodes of this view ({len(view.nodes)})"):
        st.dataframe([{"type": n.type, "label": n.label, "IRI": n.iri} for n in view.nodes],
                     hide_index=True, width="stretch")
    st.download_button("Download this view as HTML (works offline)", page, file_name="guidegraph-view.html",
                       mime="text/html")
