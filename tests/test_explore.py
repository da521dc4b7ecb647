"""Graph explorer neighbourhoods: the right nodes, typed and capped."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from graph.explore import legend, neighbourhood, node_label, searchable_nodes
from graph.vocab import GG, KB

RITUXIMAB = str(KB["drug/rituximab"])


def test_drug_neighbourhood_holds_the_statements_that_mention_it(kb):
    view = neighbourhood(kb.graph, RITUXIMAB, depth=1)
    statements = {n.iri for n in view.nodes if n.type in ("recommendation", "evidence")}
    assert statements == {
        str(KB["lupus-tacrolimus-rebound/lead/1"]),
        str(KB["lupus-tacrolimus-rebound/second-line-approach-add-biologic-therapy/2"]),
    }
    assert all(e.label == "mentionsDrug" for e in view.edges if e.target == RITUXIMAB)
    assert not view.capped and view.total == len(view.nodes)


def test_depth_two_reaches_sections_and_citations(kb):
    types = {n.type for n in neighbourhood(kb.graph, RITUXIMAB, depth=2).nodes}
    assert {"section", "citation", "dose"} <= types


def test_view_is_capped_with_nearest_nodes_kept(kb):
    tacrolimus = str(KB["drug/tacrolimus"])
    full = neighbourhood(kb.graph, tacrolimus, depth=3)
    capped = neighbourhood(kb.graph, tacrolimus, depth=3, max_nodes=20)
    assert capped.capped and capped.total == full.total > 20
    assert len(capped.nodes) == 20
    assert capped.nodes[0].iri == tacrolimus
    one_step = {n.iri for n in neighbourhood(kb.graph, tacrolimus, depth=1).nodes}
    assert {n.iri for n in capped.nodes} <= one_step | {n.iri for n in full.nodes}
    kept = {n.iri for n in capped.nodes}
    assert all(e.source in kept and e.target in kept for e in capped.edges)


def test_legend_lists_only_types_present(kb):
    view = neighbourhood(kb.graph, RITUXIMAB, depth=1)
    assert [row[0] for row in legend(view)] == ["recommendation", "drug", "drug class"]


def test_labels_keep_markup_as_plain_text():
    g = Graph()
    node = KB["x"]
    g.add((node, RDF.type, GG.Drug))
    g.add((node, RDFS.label, Literal("<img src=x onerror=alert(1)>")))
    assert node_label(g, node) == "<img src=x onerror=alert(1)>"  # escaping is the renderer's job


def test_search_list_offers_drugs_statements_conditions_citations(kb):
    types = {t for t, _, _ in searchable_nodes(kb.graph)}
    assert {"drug", "recommendation", "pitfall", "condition", "citation", "guideline"} <= types


def test_quantities_are_labelled_by_the_words_they_were_read_from(kb):
    view = neighbourhood(kb.graph, str(KB["drug/prednisone"]), depth=1)
    doses = {n.label for n in view.nodes if n.type == "dose"}
    assert "prednisone 30-60 mg daily" in doses
    assert not any(label.startswith(("autoimmune-", "lupus-")) for label in doses)


def _one_by_one(graph):
    """The start list the slow way, node by node: what searchable_nodes must equal."""
    from graph.explore import START_TYPES, node_type

    nodes = {node for rdf_type in START_TYPES for node in graph.subjects(RDF.type, rdf_type)}
    return sorted((node_type(graph, node)[0], node_label(graph, node), str(node)) for node in nodes)


def test_search_list_equals_the_nodes_read_one_by_one(kb, many_pathways):
    from graph import KnowledgeBase

    assert searchable_nodes(kb.graph) == _one_by_one(kb.graph)
    large = KnowledgeBase.load(many_pathways, validate=False)
    listed = searchable_nodes(large.graph)
    assert listed == _one_by_one(large.graph)
    assert len(listed) > 1000


def test_a_node_with_two_names_is_listed_by_the_first_in_order():
    g = Graph()
    node = KB["drug/example"]
    g.add((node, RDF.type, GG.Drug))
    g.add((node, RDFS.label, Literal("zeta")))
    g.add((node, RDFS.label, Literal("alpha")))
    g.add((KB["drug/unnamed"], RDF.type, GG.Drug))
    assert searchable_nodes(g) == [("drug", "alpha", str(node)), ("drug", "drug/unnamed", str(KB["drug/unnamed"]))]
