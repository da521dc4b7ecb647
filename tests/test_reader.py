"""The guideline reader: the source as written, each statement marked and linked."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from graph.vocab import GG

from graph.reader import filter_lines, reader_lines


@pytest.fixture(scope="module")
def lupus(kb):
    doc = kb.documents["lupus-tacrolimus-rebound"]
    return reader_lines(doc, kb.library.read_document(doc.id))


def test_every_source_line_is_shown_as_written(kb, lupus):
    source = kb.library.read_document("lupus-tacrolimus-rebound").split("\n")
    assert [line.text for line in lupus] == source
    assert sum(1 for line in lupus if line.role == "statement") == 43
    assert sum(1 for line in lupus if line.role == "heading") == 16


def test_statements_link_to_their_nodes(kb, lupus):
    line_33 = lupus[32]
    assert line_33.statement.endswith("/third-line-consider-restarting-tacrolimus/5")
    assert kb.graph.value(URIRef(line_33.statement), GG.sourceLine).toPython() == 33


def test_filter_by_kind_keeps_headings_for_context(lupus):
    pitfalls = filter_lines(lupus, kinds={"pitfall"})
    assert [l.number for l in pitfalls if l.role == "statement"] == [45, 46, 48, 49, 50, 52, 53]
    assert any(l.role == "heading" for l in pitfalls)


def test_filter_by_drug_and_line_of_therapy(lupus):
    rituximab = filter_lines(lupus, drugs={"rituximab"})
    assert [l.number for l in rituximab if l.role == "statement"] == [2, 24]
    second_line = filter_lines(lupus, lines_of_therapy={"second-line"})
    assert [l.number for l in second_line if l.role == "statement"] == [23, 24, 25, 26, 27]
