"""The explorer's vis-network page: self-contained, capped, legend, tree layout, labels as text."""

from __future__ import annotations

import json
import re

from graph.explore import neighbourhood
from graph.export.visnetwork import (
    MAX_LABELLED_EDGES,
    neighbourhood_page,
    page,
    prefers_hierarchy,
    script_json,
    vis_assets,
    vis_edges,
    vis_nodes,
)

XSS = "<img src=x onerror=alert(1)>"
TACROLIMUS = "https://w3id.org/guidegraph/kb/drug/tacrolimus"
LUPUS_PATHWAY = "https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound/pathway"


def _data(text: str, name: str):
    return json.loads(re.search(rf"var {name} = new vis.DataSet\((.*?)\);\n", text).group(1))


def test_the_page_fetches_nothing(kb):
    text = neighbourhood_page(neighbourhood(kb.graph, TACROLIMUS, depth=1))
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", text, re.IGNORECASE)
    assert not re.search(r"<link\b", text, re.IGNORECASE)
    assert "vis.Network" in text


def test_nodes_carry_the_colour_and_shape_of_their_type_and_the_legend_names_them(kb):
    view = neighbourhood(kb.graph, TACROLIMUS, depth=1)
    text = neighbourhood_page(view)
    nodes = {n["id"]: n for n in _data(text, "nodes")}
    assert nodes[TACROLIMUS]["shape"] == "diamond" and nodes[TACROLIMUS]["borderWidth"] == 3
    assert len(nodes) == len(view.nodes) and len(_data(text, "edges")) == len(view.edges)
    assert "drug</li>" not in text and "drug <span class=\"shape\">(diamond)</span>" in text


def test_a_big_neighbourhood_is_capped_and_says_so(kb):
    view = neighbourhood(kb.graph, "https://w3id.org/guidegraph/kb/lupus-tacrolimus-rebound", depth=4, max_nodes=50)
    assert view.capped
    text = neighbourhood_page(view)
    assert len(_data(text, "nodes")) == 50
    assert f"(capped: {view.total} nodes were in reach; the nearest are shown)" in text


def test_pathways_are_drawn_as_a_tree(kb):
    view = neighbourhood(kb.graph, LUPUS_PATHWAY, depth=2)
    assert prefers_hierarchy(view)
    options = json.loads(re.search(r"var options = (.*?);\n", neighbourhood_page(view)).group(1))
    assert options["layout"]["hierarchical"]["enabled"] and options["physics"] == {"enabled": False}
    assert not prefers_hierarchy(neighbourhood(kb.graph, TACROLIMUS, depth=1))


def test_many_links_keep_their_names_in_tooltips_only(kb):
    view = neighbourhood(kb.graph, TACROLIMUS, depth=2)
    assert len(view.edges) > MAX_LABELLED_EDGES
    assert all("label" not in e and e["title"] for e in vis_edges(view))


def test_a_label_with_markup_stays_text():
    from graph.explore import Neighbourhood, Node

    view = Neighbourhood("a", 1, (Node("a", XSS, "drug", "#ff7f0e", "diamond", f"drug: {XSS}"),), (), False, 1)
    text = neighbourhood_page(view, title=XSS)
    assert XSS not in text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text and "<title>&lt;img" in text
    assert vis_nodes(view)[0]["full"] == XSS  # the panel shows it with textContent


def test_inlined_script_and_data_cannot_close_the_script_element():
    assert "</script" not in script_json({"x": "</script><script>alert(1)</script>"})
    assert "</script" not in vis_assets()[1]
    assert page(title="t", body="", script="").count("</script>") == 2  # the two script elements' own ends
