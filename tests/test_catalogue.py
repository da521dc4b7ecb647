"""The pathway catalogue: recommend walks only the pathways whose entry can hold for a patient,
builds each decision graph once per load, and gives the answers a walk of every pathway gives."""

from __future__ import annotations

import pytest

from graph.bench import bench_patients
from graph.catalogue import Catalogue, catalogue_of
from graph.kb import KnowledgeBase
from graph.synthetic import generate_library, read_library_info


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return generate_library(12, seed=5, out_dir=tmp_path_factory.mktemp("twelve"))


@pytest.fixture(scope="module")
def kb(library):
    return KnowledgeBase.load(library.root, validate=False)


def _conditions_of(kb, iri: str) -> set[str]:
    """Every condition value the pathway's entry branches compare with, read from the graph."""
    query = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
    SELECT DISTINCT ?p ?value WHERE { ?p gg:entry/gg:branch/gg:when/(gg:allOf|gg:anyOf|rdf:first|rdf:rest)* ?c .
                                   ?c gg:fact/gg:key "condition" ; gg:value ?value }"""
    from rdflib import URIRef

    return {str(row.value) for row in kb.graph.query(query, initBindings={"p": URIRef(iri)})}


def test_a_patient_with_a_condition_gets_only_the_pathways_that_can_take_that_condition(kb):
    catalogue = Catalogue(kb.graph)
    assert len(catalogue) == 12
    families = read_library_info(kb.library.root).families
    condition = families[1]["conditions"]["lupus_nephritis"]
    chosen = catalogue.candidate_iris({"condition": condition})
    assert 1 <= len(chosen) < len(catalogue)
    for iri in catalogue.candidate_iris({}):
        assert (iri in chosen) == (condition in _conditions_of(kb, iri)), iri


def test_nothing_known_leaves_every_pathway_a_candidate(kb):
    assert len(Catalogue(kb.graph).candidate_iris({})) == 12


def test_decision_graphs_are_built_once_and_only_for_candidates(kb):
    catalogue = Catalogue(kb.graph)
    condition = next(iter(read_library_info(kb.library.root).families[0]["conditions"].values()))
    first = catalogue.candidates({"condition": condition})
    assert set(catalogue._built) == set(catalogue.candidate_iris({"condition": condition}))
    again = catalogue.candidates({"condition": condition})
    assert all(a is b for a, b in zip(first, again))  # the same objects: not read from the graph again


def test_the_index_never_changes_an_answer(kb, monkeypatch):
    patients = bench_patients(read_library_info(kb.library.root).families, 14)
    indexed = [kb.recommend(p).to_dict() for p in patients]
    every = KnowledgeBase.load(kb.library.root, validate=False)
    catalogue = catalogue_of(every)
    monkeypatch.setattr(catalogue, "candidate_iris", lambda facts: sorted(catalogue._order, key=catalogue._order.__getitem__))
    assert [every.recommend(p).to_dict() for p in patients] == indexed
    assert any(r["recommendations"] for r in indexed)


def test_an_index_saved_with_a_build_reads_back_the_same(kb):
    catalogue = Catalogue(kb.graph)
    again = Catalogue(kb.graph, index=catalogue.index())
    for facts in ({}, {"condition": "lupus_nephritis"}, *bench_patients(read_library_info(kb.library.root).families, 7)):
        assert again.candidate_iris(facts) == catalogue.candidate_iris(facts)


def _shape(pathway) -> tuple:
    nodes = sorted((iri, pathway.node(iri)) for iri in pathway.digraph.nodes)
    branches = sorted((b.iri, b.label, b.source, b.target, repr(b.criterion)) for iri in pathway.digraph.nodes for b in pathway.branches_from(iri))
    return pathway.iri, pathway.label, pathway.guideline, pathway.entry, nodes, branches


def test_decision_graphs_read_from_the_local_layer_match_those_read_from_the_whole_graph(kb):
    from graph.pathway import load_pathways

    whole = load_pathways(kb.graph)
    layered = Catalogue(kb.graph).all()
    assert list(layered) == list(whole) and len(whole) == 12
    assert [_shape(p) for p in layered.values()] == [_shape(p) for p in whole.values()]
    assert any(b.criterion.parts for p in whole.values() for iri in p.digraph.nodes for b in p.branches_from(iri))


def test_a_list_that_loops_in_the_local_layer_reads_as_a_criterion_that_never_holds():
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import RDF

    from graph.catalogue import Layer
    from graph.pathway import evaluate, read_criterion
    from graph.vocab import GG

    layer, criterion, cell, leaf, fact = Layer(), BNode(), BNode(), BNode(), URIRef("urn:fact")
    layer.add(criterion, GG.anyOf, cell)
    layer.add(cell, RDF.first, leaf)
    layer.add(cell, RDF.rest, cell)  # the list's tail is itself
    layer.add(leaf, GG.fact, fact)
    layer.add(leaf, GG.operator, GG.equals)
    layer.add(leaf, GG.value, Literal("x"))
    layer.add(fact, GG.key, Literal("condition"))
    with pytest.raises(ValueError):
        list(layer.items(cell))
    assert evaluate(read_criterion(layer, criterion), {"condition": "x"}).value is False


# ---------------------------------------------------------------- decision graphs saved with a build


@pytest.fixture(scope="module")
def disk(library, tmp_path_factory):
    """The twelve guidelines built into an on-disk store, then opened as the next command opens it."""
    path = tmp_path_factory.mktemp("disk") / "kb.db"
    KnowledgeBase.load(library.root, store=f"oxigraph:{path}", rebuild=True, validate=False)
    return KnowledgeBase.load(library.root, store=f"oxigraph:{path}", validate=False)


def test_an_opened_store_reads_its_saved_decision_graphs_and_builds_none(disk, kb, monkeypatch):
    def built(self, iris):
        raise AssertionError(f"built {len(iris)} decision graphs from the graph instead of reading them")

    monkeypatch.setattr(Catalogue, "layer", built)
    patients = [{}, *bench_patients(read_library_info(kb.library.root).families, 7)]
    answers = [disk.recommend(p).to_dict() for p in patients]  # {}: every pathway is a candidate
    assert answers == [kb.recommend(p).to_dict() for p in patients]
    assert any(a["recommendations"] for a in answers)


def test_saved_decision_graphs_read_back_as_the_graphs_built_from_the_store(disk, kb):
    saved = catalogue_of(disk).all()
    assert len(saved) == 12
    assert {iri: _shape(p) for iri, p in saved.items()} == {iri: _shape(p) for iri, p in Catalogue(kb.graph).all().items()}


def test_a_pathway_without_a_saved_decision_graph_is_built_from_the_graph(kb):
    from graph.pathway import pathway_data

    whole = Catalogue(kb.graph).all()
    first, *rest = whole
    saved = {iri: pathway_data(whole[iri]) for iri in rest}  # the first was not saved
    asked = []
    catalogue = Catalogue(kb.graph, saved=lambda iris: asked.append(list(iris)) or {i: saved[i] for i in iris if i in saved})
    built = []
    layer = catalogue.layer
    catalogue.layer = lambda iris: built.append(list(iris)) or layer(iris)
    assert {iri: _shape(p) for iri, p in catalogue.all().items()} == {iri: _shape(p) for iri, p in whole.items()}
    assert built == [[first]] and sorted(asked[0]) == sorted(whole)
