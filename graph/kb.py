"""The KnowledgeBase: a guideline library parsed, merged, validated and held in one store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

from .errors import ValidationFailed
from .ingest import Document, parse
from .library import ONTOLOGY_DIR, Library, add_document, check_new_id, read_document_file
from .rdfmodel import document_triples
from .terminology import Lexicon
from .validate import Report, library_checks, unread_document_findings, validate_graph
from .vocab import GG, KINDS

ONTOLOGY_FILE = ONTOLOGY_DIR / "guideline.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
CHECKS_DIR = ONTOLOGY_DIR / "checks"


def read_turtle(path: Path) -> Graph:
    """A Turtle file as a memory graph; a syntax error names the file and line."""
    from .errors import InputError

    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as error:  # rdflib raises several types; all mean "cannot read this file"
        reason = " ".join(str(error).split())  # rdflib's messages span lines; users get one
        raise InputError(f"cannot read Turtle: {reason}", where=str(path)) from None
    return graph


def turtle_triples(path: Path) -> list[tuple]:
    """A Turtle file's triples as rdflib terms, read with Oxigraph's parser (about twenty times
    faster than rdflib's); a syntax error names the file and line."""
    from .sparql import TermConverter
    from .store import parse_turtle

    convert = TermConverter()
    return [(convert(t.subject), convert(t.predicate), convert(t.object)) for t in parse_turtle(path)]


@dataclass
class KnowledgeBase:
    """Guidelines, terminology, ontology and pathways in one graph.

    Build one with :meth:`load`; ``graph`` is an rdflib Graph over the chosen store.
    """

    graph: Graph
    library: Library
    lexicon: Lexicon
    documents: dict[str, Document]
    store: str = "memory"
    report: Report | None = None
    conflicts: list = field(default_factory=list)  # graph.conflicts.Conflict, found once per load
    build: object | None = None  # graph.build.LibraryBuild: the manifest of a persistent store
    timings: dict = field(default_factory=dict)  # seconds per load phase (parse_s, store_load_s, open_s, ...)
    unsaved_report: str | None = None  # why a report made on an opened store could not be saved into it
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls,
        library: str | Path | None = None,
        store: str = "memory",
        *,
        validate: bool = True,
        strict: bool = False,
        rebuild: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> "KnowledgeBase":
        """Parse a library and merge it with the ontology, terminology and pathways.

        Parameters
        ----------
        library : the library folder; None or "guidelines" is the bundled seed library (for a
            store built before: the folder it was built from).
        store : "memory" (Oxigraph in memory, the default), "rdflib" (the slow baseline),
            "oxigraph:PATH" (on disk) or "sparql:URL" (a SPARQL 1.1 server); see :mod:`graph.store`.
            A persistent store built before is opened without parsing the library (see
            :mod:`graph.build`); one that holds no build yet is built.
        validate : run SHACL and structural checks; the report is in ``kb.report`` (an opened
            store gives the report made when it was built).
        strict : raise :class:`ValidationFailed` when the library does not conform.
        rebuild : build a persistent store again even if it holds a build (``guidegraph load``).
        progress : a function given one line as each phase of a build starts (parsing, loading,
            conflicts, ..., validation) and as validation goes (documents checked, also when an
            opened store built without it is validated now).

        Examples
        --------
        >>> kb = KnowledgeBase.load()
        >>> sorted(kb.documents)
        ['autoimmune-tacrolimus-rebound', 'lupus-tacrolimus-rebound']
        >>> kb.report.conforms
        True
        """
        from .build import build, open_built
        from .store import parse_store

        spec = parse_store(store)
        kb = open_built(cls, spec, library) if spec.persistent and not rebuild else None
        if kb is None:  # conflicts are found before validation, so the shapes check the gg:Conflict nodes
            kb = build(cls, library, spec, validate=validate, progress=progress)
        if validate:
            kb.validated_report(progress=progress)
            if strict and not kb.report.conforms:
                raise ValidationFailed(kb.report.text().splitlines()[1])
        return kb

    def query(self, text: str, *, bindings: dict | None = None, timeout_ms: int | None = None, max_rows: int | None = None):
        """A read-only SPARQL query under the guardrails: see :func:`graph.sparql.run_query`.

        ``timeout_ms`` and ``max_rows`` default to ``graph.sparql.DEFAULT_TIMEOUT_MS`` (2000) and
        ``DEFAULT_MAX_ROWS`` (1000). Returns a :class:`graph.sparql.QueryResult`. An answer is kept
        until the next load and given again (``result.cached``) for the same query, bindings and
        row cap (see :mod:`graph.answers`); not on a SPARQL server, whose data others may change.
        """
        from .sparql import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS, run_query

        return run_query(
            self.graph,
            text,
            bindings=bindings,
            timeout_ms=DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms,
            max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows,
            answers=self.answers,
        )

    @property
    def answers(self):
        """The :class:`graph.answers.Answers` kept since load, or None on a SPARQL server."""
        from .answers import Answers
        from .store import is_remote

        if "answers" not in self._cache:
            self._cache["answers"] = None if is_remote(self.graph) else Answers()
        return self._cache["answers"]

    def validate(self, progress: Callable[[str], None] | None = None) -> Report:
        """SHACL shapes and structural rules over the whole graph; the shapes part by part on
        every core where the library's documents are here (see :mod:`graph.shacl_parts`), saying
        to ``progress`` how many documents are checked as the parts finish."""
        from .pathway import pathway_rules, pathway_sources
        from .store import local_copy

        files = self.library.pathway_files()
        sources = pathway_sources(files)  # which pathway file writes each node: findings name it
        rules = [lambda _: unread_document_findings(self.library),
                 *(partial(check, sources=sources) for check in library_checks(CHECKS_DIR)),
                 *pathway_rules(files=files, sources=sources)]
        return validate_graph(local_copy(self.graph), shapes=read_turtle(SHAPES_FILE), rules=rules,
                              shacl=partial(self._shacl, progress=progress))

    def validated_report(self, progress: Callable[[str], None] | None = None) -> Report:
        """``self.report``, made now if the build has none (a store built with ``--no-validate``)
        and then saved into a persistent store's manifest: validated once, not by every command
        (:func:`graph.build.save_report`; why it could not be saved is in ``unsaved_report``)."""
        if self.report is None:
            from .build import save_report
            from .store import parse_store

            self.report = self.validate(progress=progress)
            if parse_store(self.store).persistent and self.build is not None:
                self.unsaved_report = save_report(self)
        return self.report

    def _shacl(self, data: Graph, shapes: Graph, progress: Callable[[str], None] | None = None) -> list:
        from .build import PARALLEL_FROM
        from .shacl_parts import shacl_by_part
        from .store import is_remote
        from .validate import shacl_findings

        # In parts where that pays (the parse's threshold for workers) and the documents are here;
        # not on a SPARQL server, where each type the library part borrows would be a request.
        by_part = len(self.documents) >= PARALLEL_FROM and self.library.root.is_dir() and not is_remote(self.graph)
        found = shacl_by_part(self, shapes, progress=progress) if by_part else None
        return found if found is not None else shacl_findings(data, shapes)

    def recommend(self, facts: dict):
        """The options the pathways give for one patient: see :func:`graph.recommend.recommend`."""
        from .recommend import recommend

        return recommend(self, facts)

    def stats(self) -> dict:
        """Counts a curator checks after an ingest: what the library holds."""
        g = self.graph

        def count(rdf_type) -> int:
            return sum(1 for _ in g.subjects(RDF.type, rdf_type))

        return {
            "guidelines": count(GG.Guideline),
            # From the graph, so an opened store parses nothing (a pattern with the literal false
            # would not do: rdflib's SPARQL store takes a falsy term for "any").
            "incomplete_guidelines": sum(1 for _, done in g.subject_objects(GG.complete) if done.toPython() is False),
            "sections": count(GG.Section),
            "statements": count(GG.Statement),
            "statements_by_kind": {kind: count(cls) for kind, cls in KINDS.items()},
            "drugs": len(set(g.objects(None, GG.mentionsDrug))),
            "doses": count(GG.Dose),
            "targets": count(GG.TargetRange),
            "durations": count(GG.Duration),
            "citations": count(GG.Citation),
            "pathways": count(GG.Pathway),
            "triples": self.build.triples if self.build is not None else len(g),  # a COUNT takes seconds on a large store
        }


def parse_file(path: str | Path, *, library: str | Path | None = None, doc_id: str | None = None) -> Document:
    """Parse one document file with a library's terminology, changing nothing."""
    lib = Library.at(library)
    lexicon = Lexicon.from_graph(read_turtle(lib.terminology_file))
    path = Path(path)
    return parse(read_document_file(path), doc_id=doc_id or path.stem, lexicon=lexicon)


@dataclass(frozen=True)
class IngestOutcome:
    """What `ingest` did: the document's id, where it went, and the validation report."""

    doc_id: str
    path: Path | None
    statements: int
    complete: bool
    incomplete_reason: str | None
    report: Report


def ingest_document(path: str | Path, *, doc_id: str, library: str | Path | None = None) -> IngestOutcome:
    """Parse and validate a new document, then copy it into the library only if it conforms.

    A refused document leaves the library unchanged: the id is checked first, and the file is
    copied in one rename at the very end.
    """
    lib = Library.at(library)
    check_new_id(lib, doc_id)
    text = read_document_file(path)
    terminology = read_turtle(lib.terminology_file)
    lexicon = Lexicon.from_graph(terminology)
    doc = parse(text, doc_id=doc_id, lexicon=lexicon)
    graph = read_turtle(ONTOLOGY_FILE) + terminology
    for triple in document_triples(doc, lexicon):
        graph.add(triple)
    report = validate_graph(graph, shapes=read_turtle(SHAPES_FILE), rules=library_checks(CHECKS_DIR))
    target = add_document(lib, text, doc_id) if report.conforms else None
    return IngestOutcome(doc_id, target, len(doc.statements), doc.complete, doc.incomplete_reason, report)
