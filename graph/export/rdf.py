"""The knowledge graph as RDF text: Turtle, N-Triples, JSON-LD."""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.compare import to_canonical_graph
from rdflib.namespace import XSD

from ..errors import InputError
from ..rdfmodel import canonical_decimal
from ..vocab import bind_prefixes

RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}


def canonical_literal(term):
    """One spelling per value, whatever the store: Oxigraph returns "x"^^xsd:string for "x" (one
    term in RDF 1.1, two in rdflib) and canonical numbers ("433.50" as "433.5"); rdflib keeps what
    the file said. Exports write simple strings and canonical numbers, so every store gives the
    same text."""
    if not isinstance(term, Literal):
        return term
    if term.datatype == XSD.string:
        return Literal(str(term))
    if term.datatype == XSD.decimal:
        return canonical_decimal(term)
    if term.datatype == XSD.integer:
        return Literal(str(int(term)), datatype=XSD.integer)
    return term


def to_memory_graph(graph: Graph) -> Graph:
    """A copy in rdflib's memory store (which its serialisers handle fastest), literals simple."""
    copy = Graph()
    bind_prefixes(copy)
    for s, p, o in graph:
        copy.add((s, p, canonical_literal(o)))
    return copy


def serialize_graph(graph: Graph, fmt: str) -> str:
    """Serialise a graph; N-Triples lines are sorted so that the same graph gives the same text."""
    if fmt not in RDF_FORMATS:
        raise InputError(f"unknown RDF format {fmt!r}; use one of: {', '.join(RDF_FORMATS)}")
    # Canonical blank-node labels (the ontology's OWL lists have some) make the output repeatable.
    memory = Graph()
    bind_prefixes(memory)
    for triple in to_canonical_graph(to_memory_graph(graph)):
        memory.add(triple)
    text = memory.serialize(format=RDF_FORMATS[fmt])
    if fmt == "nt":
        text = "".join(sorted(line + "\n" for line in text.splitlines() if line.strip()))
    return text
