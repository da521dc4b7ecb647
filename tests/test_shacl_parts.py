"""SHACL part by part (graph/shacl_parts.py) finds what one pass over the whole graph finds."""

from __future__ import annotations

import re

import pytest
from rdflib import RDF, Literal, URIRef

from graph.build import PARALLEL_FROM
from graph.kb import SHAPES_FILE, KnowledgeBase, read_turtle
from graph.shacl_parts import shacl_by_part
from graph.synthetic import generate_library
from graph.validate import shacl_findings
from graph.vocab import GG

MISSING = "https://w3id.org/guidegraph/kb/synthetic-00003/no-such-statement/9"


@pytest.fixture(scope="module")
def shapes():
    return read_turtle(SHAPES_FILE)


@pytest.fixture(scope="module")
def flawed(tmp_path_factory):
    """A library past the parallel threshold with one flaw of each kind of part: a pathway node
    that recommends no statement (the library part, which borrows the statements' types), a drug
    class named in capitals (the terminology: found once, not once per part), and the synthetic
    documents' own target ranges in units that do not agree (the document parts)."""
    library = generate_library(PARALLEL_FROM + 4, seed=7, out_dir=tmp_path_factory.mktemp("flawed")).root
    pathway = library / "synthetic-00003.pathway.ttl"
    text = pathway.read_text(encoding="utf-8")
    first = re.search(r"ontology#recommends> <([^>]+)>", text).group(1)
    pathway.write_text(text.replace(f"<{first}>", f"<{MISSING}>", 1), encoding="utf-8")
    terminology = library / "terminology.ttl"
    terminology.write_text(terminology.read_text(encoding="utf-8").replace(
        'rdfs:label "glucocorticoid"', 'rdfs:label "Glucocorticoid"', 1), encoding="utf-8")
    return KnowledgeBase.load(library, validate=False)


@pytest.fixture(scope="module")
def whole(flawed, shapes):
    return shacl_findings(flawed.graph, shapes)


def test_the_parts_find_what_the_whole_graph_finds(flawed, shapes, whole):
    assert shacl_by_part(flawed, shapes, workers=2) == whole
    assert (URIRef(MISSING), None, None) not in flawed.graph
    pathway = "https://w3id.org/guidegraph/kb/synthetic-00003/pathway/"
    assert [f.severity for f in whole if f.focus.startswith(pathway) and "gg:Statement" in f.message] == ["violation"]
    assert [f.focus for f in whole if "written in lower case" in f.message] == [
        "https://w3id.org/guidegraph/kb/drug-class/glucocorticoid"]
    assert any(f.guideline and f.guideline.startswith("synthetic-") and f.line for f in whole)  # a document's own


def test_one_worker_and_two_find_the_same(flawed, shapes, whole):
    assert shacl_by_part(flawed, shapes, workers=1) == whole


def test_the_parts_say_how_many_documents_are_checked_as_they_end(flawed, shapes, whole):
    told: list[str] = []
    assert shacl_by_part(flawed, shapes, workers=1, progress=told.append) == whole
    total = len(flawed.documents)
    assert told == [f"validated 25 of {total} documents", f"validated 50 of {total} documents",
                    f"validated {total} of {total} documents"]
    told.clear()
    assert shacl_by_part(flawed, shapes, workers=2, progress=told.append) == whole  # parts end in any order
    counts = [int(line.split()[1]) for line in told]
    assert counts == sorted(set(counts)) and told[-1] == f"validated {total} of {total} documents"


def test_a_triple_added_to_the_graph_by_hand_sends_validation_to_the_whole_graph(tmp_path, shapes):
    library = generate_library(PARALLEL_FROM, seed=2, out_dir=tmp_path / "lib").root
    kb = KnowledgeBase.load(library, validate=False)
    statement = next(kb.graph.subjects(RDF.type, GG.Recommendation))
    line = kb.graph.value(statement, GG.sourceLine).toPython()
    kb.graph.add((statement, GG.sourceLine, Literal(line + 1)))  # a second line: the statement shape allows one

    assert shacl_by_part(kb, shapes) is None  # the sources no longer give this graph
    found = [f.message for f in kb.validate().findings if f.focus == str(statement)]
    assert len(found) == 1 and "sourceLine" in found[0]


def test_a_library_past_the_threshold_is_validated_in_parts(flawed, monkeypatch, whole):
    import graph.shacl_parts as parts

    calls = []
    real = parts.shacl_by_part
    monkeypatch.setattr(parts, "shacl_by_part", lambda kb, shapes, **options: calls.append(kb) or real(kb, shapes, **options))
    report = flawed.validate()
    assert calls == [flawed]
    assert [f for f in report.findings if f.rule.endswith("Shape")] == [f for f in whole if f.rule.endswith("Shape")]
    assert any(f.rule == "pathway-recommends-statement" and MISSING in f.message for f in report.findings)


def test_a_part_runs_the_shapes_that_can_target_its_own_nodes(shapes):
    from rdflib import Graph

    from graph.shacl_parts import _shapes_for

    data = Graph()
    data.parse(data="""@prefix gg: <https://w3id.org/guidegraph/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        gg:Recommendation rdfs:subClassOf gg:Statement .
        <urn:x:s> a gg:Recommendation .  <urn:x:d> a gg:Drug .""", format="turtle")
    chosen = {iri.rsplit("#", 1)[-1] for iri in _shapes_for(data, shapes, {"urn:x:s"})}
    assert "StatementShape" in chosen and "DrugShape" not in chosen  # the drug is another part's
    assert "InOperatorShape" in chosen  # a target by node: kept wherever it is
    implicit = Graph()
    implicit += shapes
    implicit.parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <urn:x:Shape> a sh:NodeShape, rdfs:Class .""", format="turtle")
    assert _shapes_for(data, implicit, {"urn:x:s"}) is None  # a class-shape targets without saying: run all
