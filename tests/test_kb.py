"""The KnowledgeBase: the seed library as one validated graph, and checks that catch broken data."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from graph import KnowledgeBase
from graph.export.rdf import serialize_graph, to_memory_graph
from graph.library import DEFAULT_LIBRARY
from graph.vocab import CITO, GG, KB

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.audit_reads(SEEDS_DIR, reason="the design card's seeds, beside the clone")
@pytest.mark.parametrize("name", ["lupus-tacrolimus-rebound.txt", "autoimmune-tacrolimus-rebound.txt"])
def test_library_copies_are_byte_identical_to_the_seeds(name):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the shared seeds folder {SEEDS_DIR} is not beside this clone")
    library_copy = hashlib.sha256((DEFAULT_LIBRARY / name).read_bytes()).hexdigest()
    assert library_copy == hashlib.sha256((SEEDS_DIR / name).read_bytes()).hexdigest()


def test_seed_library_conforms(kb):
    assert kb.report.conforms, kb.report.text()
    assert sorted(kb.documents) == ["autoimmune-tacrolimus-rebound", "lupus-tacrolimus-rebound"]


def test_default_store_is_oxigraph(kb):
    assert type(kb.graph.store).__name__ == "OxigraphStore"


def test_loading_the_seeds_takes_under_two_seconds():
    start = time.perf_counter()
    KnowledgeBase.load()
    assert time.perf_counter() - start < 2.0


def test_stats_count_what_the_seeds_hold(kb):
    stats = kb.stats()
    assert stats["guidelines"] == 2
    assert stats["incomplete_guidelines"] == 1
    assert stats["statements"] == 80
    assert sum(stats["statements_by_kind"].values()) == 80
    assert stats["citations"] == 9 + 4  # lupus cites 1-9, autoimmune 1-4
    assert stats["triples"] == len(kb.graph)


def test_every_statement_is_typed_statement_and_one_kind(kb):
    kinds = {GG.Recommendation, GG.Pitfall, GG.Monitoring, GG.Assessment, GG.Rationale, GG.Evidence, GG.Timeline}
    for statement in kb.graph.subjects(RDF.type, GG.Statement):
        assert len(set(kb.graph.objects(statement, RDF.type)) & kinds) == 1


def test_statement_provenance(kb):
    g = kb.graph
    statement = KB["lupus-tacrolimus-rebound/second-line-approach-add-biologic-therapy/4"]
    assert g.value(statement, GG.sourceLine) == Literal(26)
    assert set(g.objects(statement, CITO.cites)) == {
        KB["lupus-tacrolimus-rebound/ref/1"], KB["lupus-tacrolimus-rebound/ref/3"],
    }
    assert g.value(statement, GG.guideline) == KB["lupus-tacrolimus-rebound"]
    assert str(g.value(statement, GG.sourceText)).startswith("- Belimumab added to standard therapy")
    assert g.value(KB["lupus-tacrolimus-rebound"], GG.complete) == Literal(False)


def test_the_same_library_gives_the_same_graph():
    first, second = KnowledgeBase.load(validate=False), KnowledgeBase.load(validate=False)
    assert isomorphic(to_memory_graph(first.graph), to_memory_graph(second.graph))
    assert serialize_graph(first.graph, "nt") == serialize_graph(second.graph, "nt")


@pytest.mark.parametrize("fmt, parser", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_exported_rdf_reparses_isomorphic(kb, fmt, parser):
    # rdflib writes the decimal 1 as "1.0": the same value, so both sides are compared in canonical form.
    reparsed = Graph().parse(data=serialize_graph(kb.graph, fmt), format=parser)
    assert len(reparsed) == len(kb.graph)
    assert isomorphic(to_memory_graph(reparsed), to_memory_graph(kb.graph))


def test_rdflib_store_gives_the_same_graph(kb):
    baseline = KnowledgeBase.load(store="rdflib", validate=False)
    assert isomorphic(to_memory_graph(baseline.graph), to_memory_graph(kb.graph))


# ---------------------------------------------------------------- broken libraries


def library_with(tmp_path: Path, documents: dict[str, str], extra_turtle: str | None = None) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    shutil.copy(DEFAULT_LIBRARY / "terminology.ttl", root)
    for doc_id, text in documents.items():
        (root / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    if extra_turtle:
        (root / "broken.pathway.ttl").write_text(extra_turtle, encoding="utf-8")
    return root


STATEMENT_WITHOUT_LINE = """
@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/guidegraph/kb/mini/lead/9> a gg:Statement, gg:Recommendation ;
    gg:text "no line here" ; gg:uncited true ;
    gg:guideline kb:mini ; dcterms:isPartOf <https://w3id.org/guidegraph/kb/mini/lead> .
"""

DOSE_LOW_ABOVE_HIGH = """
@prefix gg: <https://w3id.org/guidegraph/ontology#> .
@prefix kb: <https://w3id.org/guidegraph/kb/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix lead: <https://w3id.org/guidegraph/kb/mini/lead/> .
lead:1 gg:hasDose <https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> .
<https://w3id.org/guidegraph/kb/mini/lead/1/dose/9> a gg:Dose ; gg:drug <https://w3id.org/guidegraph/kb/drug/prednisone> ; gg:low 60.0 ; gg:high 30.0 ; gg:unit "mg/d" .
"""

MINI = "Mini Guideline\nGive prednisone 30 mg daily for flares. 1\n"


def test_a_statement_without_a_line_fails_with_its_node_and_rule(tmp_path):
    kb = KnowledgeBase.load(library_with(tmp_path, {"mini": MINI}, STATEMENT_WITHOUT_LINE))
    assert not kb.report.conforms
    (finding,) = [f for f in kb.report.findings if f.severity == "violation"]
    assert finding.focus == str(KB["mini/lead/9"])
    assert "sourceLine" in finding.message
    assert finding.guideline == "mini"


def test_a_dose_with_low_above_high_fails_at_its_source_line(tmp_path):
    kb = KnowledgeBase.load(library_with(tmp_path, {"mini": MINI}, DOSE_LOW_ABOVE_HIGH))
    assert not kb.report.conforms
    (finding,) = [f for f in kb.report.findings if f.severity == "violation"]
    assert finding.focus == str(KB["mini/lead/1/dose/9"])
    assert (finding.guideline, finding.line) == ("mini", 2)
    assert "low" in finding.message.lower()


def test_strict_load_raises_on_a_broken_library(tmp_path):
    from graph import ValidationFailed

    with pytest.raises(ValidationFailed):
        KnowledgeBase.load(library_with(tmp_path, {"mini": MINI}, DOSE_LOW_ABOVE_HIGH), strict=True)


def test_missing_library_is_an_input_error():
    from graph import InputError

    with pytest.raises(InputError, match="does not exist"):
        KnowledgeBase.load("/nonexistent/library")
