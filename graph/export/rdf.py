"""The knowledge graph as RDF text: Turtle, N-Triples, JSON-LD (with a context) and TriG.

Every format is deterministic: the same library gives byte-identical files, so exports can live in
version control and diff cleanly (literals in one spelling, blank nodes labelled canonically, and
subjects, graphs and JSON keys in a fixed order).

TriG splits the graph in two: each guideline's own triples (the guideline, its sections,
statements, citations, doses, targets and durations: what ``parse`` makes of its document) in a
named graph ``kb:{id}``; everything else (ontology, terminology, pathways, patient facts, conflicts)
in the default graph. The union of all graphs is the whole knowledge graph.
"""

from __future__ import annotations

import io
import json
import warnings

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import XSD
from rdflib.plugins.serializers.trig import TrigSerializer

from ..errors import InputError
from ..rdfmodel import canonical_decimal, document_triples, guideline_iri
from ..vocab import PREFIXES, bind_prefixes

RDF_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig"}


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


def _sort_key(triple) -> tuple[str, str, str]:
    return tuple(term.n3() for term in triple)


def canonical_triples(graph: Graph) -> list[tuple]:
    """The graph's triples with canonical literals and blank-node labels, in a fixed order.

    Canonical blank-node labels (the ontology's OWL lists have some) make the output repeatable;
    the fixed order makes rdflib's memory store, which keeps insertion order, serialise the same
    way in every process.
    """
    return sorted(to_canonical_graph(to_memory_graph(graph)), key=_sort_key)


def jsonld_context() -> dict:
    """The JSON-LD @context: the project's prefixes, written into the file (never fetched).

    >>> jsonld_context()["gg"]
    'https://w3id.org/guidegraph/ontology#'
    """
    return {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}


def _jsonld(memory: Graph) -> str:
    data = json.loads(memory.serialize(format="json-ld", context=jsonld_context(), auto_compact=True))
    # rdflib lists nodes in store order; sorted nodes and keys give one text per graph.
    nodes = data.get("@graph")
    if isinstance(nodes, list):
        data["@graph"] = sorted(nodes, key=lambda node: json.dumps(node, sort_keys=True, ensure_ascii=False))
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def serialize_graph(graph: Graph, fmt: str) -> str:
    """Serialise a graph; the same graph always gives the same text.

    TriG here puts every triple in the default graph; :func:`serialize_library` splits a library's
    graph into one named graph per guideline.
    """
    if fmt not in RDF_FORMATS:
        raise InputError(f"unknown RDF format {fmt!r}; use one of: {', '.join(RDF_FORMATS)}")
    memory = Graph()
    bind_prefixes(memory)
    for triple in canonical_triples(graph):
        memory.add(triple)
    if fmt == "jsonld":
        return _jsonld(memory)
    text = memory.serialize(format=RDF_FORMATS[fmt])
    if fmt == "nt":
        text = "".join(sorted(line + "\n" for line in text.splitlines() if line.strip()))
    return text


def guideline_graphs(kb) -> dict[URIRef, set]:
    """Each guideline's own triples (as ``parse`` makes them from its document), by guideline IRI."""
    return {
        guideline_iri(doc_id): {
            (s, p, canonical_literal(o)) for s, p, o in document_triples(doc, kb.lexicon)
        }
        for doc_id, doc in sorted(kb.documents.items())
    }


def to_dataset(kb) -> Dataset:
    """The library as an RDF dataset: a named graph ``kb:{id}`` per guideline, the rest in the default graph."""
    owned = guideline_graphs(kb)
    owner = {triple: name for name, triples in owned.items() for triple in triples}
    dataset = Dataset()
    bind_prefixes(dataset)
    named = {name: dataset.graph(name) for name in owned}
    for triple in canonical_triples(kb.graph):
        name = owner.get(triple)
        (named[name] if name is not None else dataset.default_graph).add(triple)
    return dataset


class _OrderedTrigSerializer(TrigSerializer):
    """rdflib's TriG writer with the graphs in a fixed order (default graph first, then by IRI):
    rdflib takes them from a set, whose order changes from one process to the next."""

    def __init__(self, store: Dataset):
        super().__init__(store)
        default = store.default_graph.identifier
        unique = {context.identifier: context for context in self.contexts}
        self.contexts = sorted(unique.values(), key=lambda g: (g.identifier != default, str(g.identifier)))


def _trig(dataset: Dataset) -> str:
    stream = io.BytesIO()
    with warnings.catch_warnings():  # rdflib's TriG writer calls its own deprecated Dataset methods
        warnings.simplefilter("ignore", DeprecationWarning)
        _OrderedTrigSerializer(dataset).serialize(stream, encoding="utf-8")
    return stream.getvalue().decode("utf-8")


def serialize_library(kb, fmt: str) -> str:
    """A knowledge base's whole graph as RDF text; TriG with one named graph per guideline.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> text = serialize_library(KnowledgeBase.load(validate=False), "trig")
    >>> "kb:lupus-tacrolimus-rebound {" in text
    True
    """
    if fmt == "trig":
        return _trig(to_dataset(kb))
    return serialize_graph(kb.graph, fmt)
