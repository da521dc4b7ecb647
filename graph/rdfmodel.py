"""A parsed document as RDF triples, in the model of docs/model.md.

IRIs come from the guideline id, section slugs and ordinals, so the same text always gives the
same graph, and a pathway file can name a statement by its IRI.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from .extract import Dose, Duration, ReadingNote, Target
from .ingest import Document, Section, Statement
from .terminology import Lexicon
from .vocab import CITO, GG, KB, KINDS, LINES_OF_THERAPY, bind_prefixes, slugify

Triple = tuple[URIRef | BNode, URIRef, URIRef | Literal | BNode]


def guideline_iri(doc_id: str) -> URIRef:
    return KB[doc_id]


def section_iri(doc_id: str, slug: str) -> URIRef:
    return KB[f"{doc_id}/{slug}"]


def statement_iri(doc_id: str, section_slug: str, ordinal: int) -> URIRef:
    return KB[f"{doc_id}/{section_slug}/{ordinal}"]


def citation_iri(doc_id: str, number: int) -> URIRef:
    return KB[f"{doc_id}/ref/{number}"]


def canonical_decimal(value) -> Literal:
    """An xsd:decimal in canonical form ("1.0" is written "1"), as Oxigraph stores it, so that
    every store holds the same literal.

    >>> [str(canonical_decimal(v)) for v in ("1.0", 0.075, 60, "1E+2")]
    ['1', '0.075', '60', '100']
    """
    number = Decimal(str(value)).normalize()
    return Literal(format(number, "f"), datatype=XSD.decimal)


def _optional(subject, predicate, value) -> Iterator[Triple]:
    if value is not None and value != "":
        yield subject, predicate, Literal(value)


def document_triples(doc: Document, lexicon: Lexicon) -> Iterator[Triple]:
    """Every triple of one document: guideline, sections, statements, citations and quantities."""
    guideline = guideline_iri(doc.id)
    yield guideline, RDF.type, GG.Guideline
    yield guideline, DCTERMS.title, Literal(doc.title)
    yield guideline, DCTERMS.identifier, Literal(doc.id)
    yield guideline, GG.sourceFile, Literal(f"{doc.id}.txt")
    yield guideline, GG.complete, Literal(doc.complete)
    yield guideline, GG.lineCount, Literal(doc.line_count)
    yield from _optional(guideline, GG.incompleteReason, doc.incomplete_reason)
    for key in doc.conditions:
        yield guideline, GG.appliesTo, lexicon.conditions[key].iri_ref
    cited = sorted({n for s in doc.statements for n in s.citations})
    for number in cited:
        citation = citation_iri(doc.id, number)
        yield citation, RDF.type, GG.Citation
        yield citation, GG.referenceNumber, Literal(number)
        yield citation, GG.guideline, guideline
        yield citation, RDFS.label, Literal(f"reference {number} of {doc.id}")
    for section in doc.sections:
        yield from _section_triples(doc, section, lexicon)


def _section_triples(doc: Document, section: Section, lexicon: Lexicon) -> Iterator[Triple]:
    guideline = guideline_iri(doc.id)
    node = section_iri(doc.id, section.slug)
    yield node, RDF.type, GG.Section
    yield node, DCTERMS.title, Literal(section.heading if section.heading is not None else doc.title)
    parent = section_iri(doc.id, section.parent_slug) if section.parent_slug else guideline
    yield node, DCTERMS.isPartOf, parent
    yield node, GG.guideline, guideline
    yield node, GG.order, Literal(section.order)
    yield node, GG.sourceLine, Literal(section.line)
    if section.heading is None:
        yield node, GG.isLead, Literal(True)
    if section.line_of_therapy:
        yield node, GG.lineOfTherapy, LINES_OF_THERAPY[section.line_of_therapy]
    for k, note in enumerate(section.notes, start=1):
        yield from _note_triples(URIRef(f"{node}/note/{k}"), node, note)
    for statement in section.statements:
        yield from _statement_triples(doc, section, statement, lexicon)


def _statement_triples(doc: Document, section: Section, st: Statement, lexicon: Lexicon) -> Iterator[Triple]:
    node = statement_iri(doc.id, section.slug, st.ordinal)
    yield node, RDF.type, GG.Statement
    yield node, RDF.type, KINDS[st.kind]
    yield node, GG.text, Literal(st.text)
    yield node, GG.sourceText, Literal(st.source_text)
    yield node, GG.sourceLine, Literal(st.line)
    yield node, DCTERMS.isPartOf, section_iri(doc.id, section.slug)
    yield node, GG.guideline, guideline_iri(doc.id)
    yield node, GG.order, Literal(st.ordinal)
    for number in st.citations:
        yield node, CITO.cites, citation_iri(doc.id, number)
    if not st.citations:
        yield node, GG.uncited, Literal(True)
    if st.is_lead_in:
        yield node, GG.isLeadIn, Literal(True)
    if st.lead_in_line is not None:
        lead_in = next(s for s in section.statements if s.line == st.lead_in_line)
        yield node, GG.leadIn, statement_iri(doc.id, section.slug, lead_in.ordinal)
    if st.line_of_therapy:
        yield node, GG.lineOfTherapy, LINES_OF_THERAPY[st.line_of_therapy]
    for label in st.extraction.drugs:
        yield node, GG.mentionsDrug, lexicon.drug_by_label(label).iri_ref
    for label in st.extraction.drug_classes:
        yield node, GG.mentionsDrugClass, lexicon.drug_by_label(label).iri_ref
    conditions = list(st.extraction.conditions)
    if st.condition and st.condition not in conditions:
        conditions.append(st.condition)
    for key in conditions:
        yield node, GG.appliesTo, lexicon.conditions[key].iri_ref
    for k, dose in enumerate(st.extraction.doses, start=1):
        yield from _dose_triples(URIRef(f"{node}/dose/{k}"), node, dose, lexicon)
    for k, target in enumerate(st.extraction.targets, start=1):
        yield from _target_triples(URIRef(f"{node}/target/{k}"), node, target, lexicon)
    for k, duration in enumerate(st.extraction.durations, start=1):
        yield from _duration_triples(URIRef(f"{node}/duration/{k}"), node, duration)
    for k, note in enumerate(st.extraction.notes, start=1):
        yield from _note_triples(URIRef(f"{node}/note/{k}"), node, note)


def _note_triples(node, owner, note: ReadingNote) -> Iterator[Triple]:
    # Words the reader left out of the quantities, and why: validate reports each as a warning.
    yield owner, GG.readingNote, node
    yield node, RDF.type, GG.ReadingNote
    yield node, GG.noteCode, Literal(note.code)
    yield node, GG.quote, Literal(note.words)
    yield node, GG.reason, Literal(note.reason)


def _range(node, low, high, unit) -> Iterator[Triple]:
    yield node, GG.low, canonical_decimal(low)
    yield node, GG.high, canonical_decimal(high)
    yield node, GG.unit, Literal(unit)


def _dose_triples(node, statement, dose: Dose, lexicon: Lexicon) -> Iterator[Triple]:
    yield statement, GG.hasDose, node
    yield node, RDF.type, GG.Dose
    if dose.drug:
        yield node, GG.drug, lexicon.drug_by_label(dose.drug).iri_ref
    yield from _range(node, dose.low, dose.high, dose.unit)
    yield from _optional(node, GG.route, dose.route)
    yield from _optional(node, GG.basis, dose.basis)
    yield from _optional(node, GG.frequency, dose.frequency)
    yield from _optional(node, GG.comparator, dose.comparator)
    if dose.taper_step:
        yield node, GG.taperStep, Literal(True)
    yield from _optional(node, GG.quote, dose.quote)


def _target_triples(node, statement, target: Target, lexicon: Lexicon) -> Iterator[Triple]:
    yield statement, GG.hasTarget, node
    yield node, RDF.type, GG.TargetRange
    yield node, GG.analyte, lexicon.analyte_by_label(target.analyte).iri_ref
    yield from _range(node, target.low, target.high, target.unit)
    yield from _optional(node, GG.population, target.population)
    yield from _optional(node, GG.quote, target.quote)
    if target.stated_as is not None:
        stated = URIRef(f"{node}/stated-as")
        yield node, GG.statedAs, stated
        yield stated, RDF.type, GG.Quantity
        yield from _range(stated, *target.stated_as)
        if target.units_agree is not None:
            yield node, GG.unitsAgree, Literal(target.units_agree)


def _duration_triples(node, statement, duration: Duration) -> Iterator[Triple]:
    yield statement, GG.hasDuration, node
    yield node, RDF.type, GG.Duration
    yield from _range(node, duration.low, duration.high, duration.unit)
    yield from _optional(node, GG.qualifier, duration.qualifier)
    yield from _optional(node, GG.quote, duration.quote)


def document_graph(doc: Document, lexicon: Lexicon) -> Graph:
    """One document as its own rdflib graph (memory store), prefixes bound."""
    graph = Graph()
    bind_prefixes(graph)
    for triple in document_triples(doc, lexicon):
        graph.add(triple)
    return graph


__all__ = [
    "citation_iri",
    "document_graph",
    "document_triples",
    "guideline_iri",
    "section_iri",
    "slugify",
    "statement_iri",
]
