"""SHACL validation of a library part by part, on every core.

pySHACL copies the whole data graph into rdflib's memory and takes about 0.1 s per guideline in
one process: two minutes at 1,000 guidelines, and at 10,000 a graph of ten million triples in
Python objects. The shapes never look from one document into another, though. A document's nodes
are checked against that document, the ontology and the terminology (``sh:class`` reads their
types); the rest of the library (terminology, pathways, conflicts) reaches a document only through
``sh:class`` on the statements and guidelines it names. So the library is validated in parts, in
worker processes:

- each batch of documents, with the ontology and the terminology, keeping the findings whose focus
  is one of the batch's own nodes;
- the ontology, terminology, pathway files and conflicts once, in the calling process, with the
  ``rdf:type`` of each document node they name (read from the store), keeping the findings on
  nodes of their own.

Every shape runs in every part; a part only drops findings about nodes another part owns. The
union is what one pass over the whole graph finds (``tests/test_shacl_parts.py`` compares them),
as long as a pathway file states nothing about a document's own nodes beyond naming them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from threading import Lock
from typing import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .kb import turtle_triples
from .validate import Finding, finding_order, shacl_findings
from .vocab import SH

#: Documents per part: big enough that starting a part costs little (reading the ontology and the
#: terminology, pySHACL's set-up), small enough that the parts share the cores evenly.
BATCH = 25


@dataclass(frozen=True)
class _Context:
    """What every part reads; a forked worker inherits it instead of receiving a copy."""

    kb: object
    shapes: Graph
    base: tuple  # the ontology's and terminology's triples


_SHARED: _Context | None = None  # set while the workers of one validation run


def shacl_by_part(kb, shapes: Graph, *, workers: int | None = None,
                  progress: Callable[[str], None] | None = None) -> list[Finding] | None:
    """The SHACL findings of ``kb``'s library, part by part (see the module's description); None
    when ``kb.graph`` holds another number of triples than its sources give (triples added to the
    graph by hand, or a source that repeats another's triples), which only the whole graph can tell.

    ``kb`` must be able to give every document (``kb.documents``): a library built or opened in
    this process whose folder is here. ``workers``: processes (default as for parsing: one per CPU
    from ``graph.build.PARALLEL_FROM`` documents on; ``GUIDEGRAPH_WORKERS`` overrides).
    ``progress``: given a line each time about a tenth more of the documents are checked (minutes
    at 1,000 guidelines).
    """
    global _SHARED
    from .build import worker_count, worker_pool
    from .kb import ONTOLOGY_FILE

    base = tuple(chain(turtle_triples(ONTOLOGY_FILE), turtle_triples(kb.library.terminology_file)))
    context = _Context(kb, shapes, base)
    ids = sorted(kb.documents)
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    count = worker_count(workers, len(ids))
    checked = _Checked(len(ids), progress)
    if count <= 1:
        parts = [library_part(context)]
        for batch in batches:
            parts.append(document_part(context, batch))
            checked.add(len(batch))
    else:
        _SHARED = context
        try:
            # fork: the workers inherit the documents and the lexicon instead of pickles. The
            # library part runs here meanwhile: it reads the store, which stays in this process.
            with worker_pool(count) as pool:
                futures = [pool.submit(_shared_document_part, batch) for batch in batches]
                for future, batch in zip(futures, batches):  # told as each ends, while the library part runs
                    future.add_done_callback(lambda done, n=len(batch): checked.add(n) if _succeeded(done) else None)
                parts = [library_part(context)] + [future.result() for future in futures]
        finally:
            _SHARED = None
    findings = [finding for part_findings, _ in parts for finding in part_findings]
    triples = sum(count for _, count in parts) - len(base) * len(batches)  # the base once
    if triples != len(kb.graph):
        return None
    return sorted(findings, key=finding_order)


def _succeeded(future) -> bool:
    """A part that ended with its findings (not cancelled by an interrupt, not failed)."""
    return not future.cancelled() and future.exception() is None


class _Checked:
    """Counts the documents checked and says so at each further tenth of the library. Parts end
    in the pool's own thread, so the count is kept under a lock."""

    def __init__(self, total: int, progress: Callable[[str], None] | None):
        self.total, self.progress, self.done, self.told = total, progress, 0, 0
        self._lock = Lock()

    def add(self, documents: int) -> None:
        with self._lock:
            self.done += documents
            tenth = self.done * 10 // self.total
            if self.progress is None or tenth <= self.told:
                return
            self.told = tenth
            self.progress(f"validated {self.done:,} of {self.total:,} documents")


def document_part(context: _Context, doc_ids: Iterable[str]) -> tuple[list[Finding], int]:
    """Findings on the nodes of these documents, validated with the ontology and terminology;
    and the number of triples validated."""
    from .rdfmodel import document_triples

    data = _graph(context.base)
    own: set[str] = set()
    for doc_id in doc_ids:
        for triple in document_triples(context.kb.documents[doc_id], context.kb.lexicon):
            data.add(triple)
            own.add(str(triple[0]))
    typed = {str(s) for s in data.subjects(RDF.type, None) if str(s) in own}
    findings = shacl_findings(data, context.shapes, inplace=True, use_shapes=_shapes_for(data, context.shapes, typed))
    return [finding for finding in findings if finding.focus in own], len(data)


def library_part(context: _Context) -> tuple[list[Finding], int]:
    """Findings on the ontology, terminology, pathways and conflicts, with the types of the
    document nodes they name; and the number of triples of those sources."""
    from .conflicts import conflict_triples

    data = _graph(context.base)
    for path in context.kb.library.pathway_files():
        for triple in turtle_triples(Path(path)):
            data.add(triple)
    for triple in conflict_triples(context.kb.conflicts):
        data.add(triple)
    own = len(data)
    subjects = set(data.subjects())
    named = {o for o in data.objects() if isinstance(o, URIRef) and o not in subjects}
    borrowed: set[str] = set()
    for node in named:
        for kind in context.kb.graph.objects(node, RDF.type):
            data.add((node, RDF.type, kind))
            borrowed.add(str(node))
    typed = {str(s) for s in data.subjects(RDF.type, None)} - borrowed
    findings = shacl_findings(data, context.shapes, inplace=True, located_in=context.kb.graph,
                              use_shapes=_shapes_for(data, context.shapes, typed))
    return [finding for finding in findings if finding.focus not in borrowed], own


def _shapes_for(data: Graph, shapes: Graph, typed: set[str]) -> list[str] | None:
    """The shapes that can have a focus node among ``typed`` (the part's own typed nodes): every
    shape with a target other than ``sh:targetClass``, and those whose class, or a subclass of it,
    one of these nodes has. The others would only report on nodes another part owns: a library
    part borrows the types of a thousand statements, and checking each against the statement
    shape would cost more than the pathways themselves. None (all shapes) when a shape is also a
    class, which targets that class's nodes without saying so."""
    if any((shape, RDF.type, kind) in shapes for shape in shapes.subjects(RDF.type, SH.NodeShape)
           for kind in (RDFS.Class, OWL.Class)):
        return None
    classes = {kind for node, kind in data.subject_objects(RDF.type) if str(node) in typed}
    covered = set(classes)
    todo = list(classes)
    while todo:  # the superclasses too: a gg:Recommendation is a target of the gg:Statement shape
        for parent in data.objects(todo.pop(), RDFS.subClassOf):
            if parent not in covered:
                covered.add(parent)
                todo.append(parent)
    chosen = []
    for shape in set(shapes.subjects(SH.targetClass, None)) | {s for p in _OTHER_TARGETS for s in shapes.subjects(p, None)}:
        other_target = any(next(shapes.objects(shape, p), None) is not None for p in _OTHER_TARGETS)
        if other_target or any(c in covered for c in shapes.objects(shape, SH.targetClass)):
            chosen.append(str(shape))
    return sorted(chosen)


_OTHER_TARGETS = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def _shared_document_part(doc_ids: list[str]) -> tuple[list[Finding], int]:
    return document_part(_SHARED, doc_ids)


def _graph(triples: Iterable) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph
