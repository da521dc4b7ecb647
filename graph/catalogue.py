"""The pathway catalogue: which pathways can apply to a patient, and their decision graphs.

``recommend`` must not walk the whole library for one patient. The catalogue reads, once per load,
an index over the pathways' entry criteria: for every branch that leaves an entry node, one
necessary comparison of a choice fact ("condition is lupus_nephritis or sle_extrarenal"), taken
from the top level of its criterion. A pathway whose every entry branch has such a comparison that
is false for the patient cannot apply (its entry is false), so it is not even built. Everything
else is a candidate, and :func:`graph.pathway.traverse` decides as before; the index only ever
leaves out pathways whose entry is false, so results do not change.

Decision graphs are built on first use and kept for the life of the knowledge base. They are read
from a small local copy of each pathway's part of the graph (one ``CONSTRUCT`` for a batch of
pathways), so the engine's many small lookups never go to the store: that is what makes a SPARQL
server usable at all (blank nodes cannot be asked for over the protocol) and an on-disk store fast.
A persistent store saves every decision graph with its build (``gg:decisionGraphJson`` in the
manifest), so opening it reads them instead of building them again.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterable, Iterator, Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .pathway import Pathway, load_pathways, pathway_from_data
from .store import is_oxigraph, is_remote, ox_graph_name, pyoxigraph_store

_PREFIXES = """PREFIX gg: <https://w3id.org/guidegraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX sh: <http://www.w3.org/ns/shacl#>
"""

# One necessary comparison per entry branch: the criterion itself or a member of its top-level
# allOf, comparing a fact with plain strings (the values of a choice fact). Property paths here
# start from bound nodes: Oxigraph evaluates an unanchored rdf:rest* over every list of the graph.
_COMPARISON = """?leaf gg:fact ?fact ; gg:operator ?operator ; gg:value ?value . ?fact gg:key ?key .
    FILTER (?operator IN (gg:equals, gg:in) && isLiteral(?value) && DATATYPE(?value) = xsd:string && LANG(?value) = "")"""
_ENTRY_QUERY = _PREFIXES + """
SELECT ?pathway ?guideline ?branch ?leaf ?key ?value WHERE {
  { ?pathway a gg:Pathway ; gg:entry ?entry .
    OPTIONAL { ?pathway gg:guideline ?document . ?document dcterms:identifier ?guideline }
    OPTIONAL { ?entry gg:branch ?branch } }
  UNION { ?pathway a gg:Pathway ; gg:entry ?entry . ?entry gg:branch ?branch . ?branch gg:when ?leaf .
    %s }
  UNION { ?pathway a gg:Pathway ; gg:entry ?entry . ?entry gg:branch ?branch . ?branch gg:when ?criterion .
    ?criterion gg:allOf ?list . ?list rdf:rest* ?cell . ?cell rdf:first ?leaf .
    %s }
}""" % (_COMPARISON, _COMPARISON)

# A batch of pathways' decision layer: the pathways, their guidelines' ids, the nodes reachable
# from the entries, their branches, the criteria with their RDF lists, the facts' keys, and the
# source lines of the statements the nodes recommend (the engine orders siblings by them). The
# VALUES block is repeated in every branch of the UNION: each branch is evaluated on its own.
_PATHWAY_PARTS = (
    "?pathway ?p ?o . BIND (?pathway AS ?s)",
    "?pathway gg:guideline ?s . ?s dcterms:identifier ?o . BIND (dcterms:identifier AS ?p)",
    "?pathway gg:entry/(gg:branch/gg:to)* ?s . ?s ?p ?o",
    "?pathway gg:entry/(gg:branch/gg:to)*/gg:branch ?s . ?s ?p ?o",
    "?pathway gg:entry/(gg:branch/gg:to)*/gg:branch/gg:when ?criterion . "
    "?criterion (gg:allOf|gg:anyOf|gg:not|rdf:first|rdf:rest)* ?s . ?s ?p ?o",
    "?pathway gg:entry/(gg:branch/gg:to)*/gg:branch/gg:when ?criterion . "
    "?criterion (gg:allOf|gg:anyOf|gg:not|rdf:first|rdf:rest)*/gg:fact ?s . ?s gg:key ?o . BIND (gg:key AS ?p)",
    "?pathway gg:entry/(gg:branch/gg:to)*/gg:recommends ?s . ?s gg:sourceLine ?o . BIND (gg:sourceLine AS ?p)",
)


def _pathways_query(iris: list[str]) -> str:
    values = pathway_values(iris)
    parts = "\n  UNION ".join(f"{{ {values} {part} }}" for part in _PATHWAY_PARTS)
    return _PREFIXES + "CONSTRUCT { ?s ?p ?o } WHERE {\n  " + parts + "\n}"


# The declared patient facts with the RDF lists of their ordered values (sh:in).
_FACTS_QUERY = _PREFIXES + """
CONSTRUCT { ?s ?p ?o } WHERE {
  { ?s a gg:PatientFact ; ?p ?o }
  UNION { ?fact a gg:PatientFact ; sh:in/rdf:rest* ?s . ?s ?p ?o }
}"""

BATCH = 200  # pathways per CONSTRUCT: one round trip for a patient's candidates


class Catalogue:
    """The pathways of one knowledge base graph: an entry index and decision graphs built on use.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> catalogue = Catalogue(KnowledgeBase.load(validate=False).graph)
    >>> [p.guideline for p in catalogue.candidates({"condition": "autoimmune_hepatitis"})]
    ['autoimmune-tacrolimus-rebound']
    >>> len(catalogue.candidates({}))  # nothing known: every pathway may apply
    2
    """

    def __init__(self, graph: Graph, *, index: dict | None = None, saved: Callable[[list[str]], dict] | None = None):
        self.graph = graph
        self._saved = saved  # reads the decision graphs a build saved, by pathway (graph.build)
        self._built: dict[str, Pathway | None] = {}
        self._order: dict[str, tuple[str, str]] = {}  # pathway -> (guideline id, iri): the engine's order
        self._always: set[str] = set()  # pathways with an entry branch the index cannot rule out
        self._by_fact: dict[str, dict[str, set[str]]] = {}  # fact key -> value -> pathways
        self._on_fact: dict[str, set[str]] = {}  # fact key -> every pathway indexed under it
        if index is None:
            self._read_entries()
        else:  # an index saved with a build (graph.build): opening a large store reads it, not the graph
            self._order = {iri: (guideline, iri) for iri, guideline in index["pathways"].items()}
            self._always = set(index["always"])
            self._by_fact = {key: {value: set(ps) for value, ps in values.items()} for key, values in index["by_fact"].items()}
            self._on_fact = {key: set().union(*values.values()) for key, values in self._by_fact.items()}

    def index(self) -> dict:
        """The entry index as plain JSON data (``Catalogue(graph, index=...)`` reads it back)."""
        return {
            "pathways": {iri: guideline for iri, (guideline, _) in sorted(self._order.items())},
            "always": sorted(self._always),
            "by_fact": {key: {value: sorted(ps) for value, ps in sorted(values.items())} for key, values in sorted(self._by_fact.items())},
        }

    def _read_entries(self) -> None:
        branches: dict[str, dict[str, dict[str, dict[str, set[str]]]]] = {}  # pathway -> branch -> leaf -> key -> values
        for row in self.graph.query(_ENTRY_QUERY):
            pathway = str(row.pathway)
            if row.guideline is not None or pathway not in self._order:
                self._order[pathway] = (str(row.guideline) if row.guideline is not None else "", pathway)
            found = branches.setdefault(pathway, {})
            if row.branch is None:
                continue
            leaves = found.setdefault(str(row.branch), {})
            if row.leaf is not None:
                leaves.setdefault(str(row.leaf), {}).setdefault(str(row.key), set()).add(str(row.value))
        for pathway, found in branches.items():
            if not found:
                self._always.add(pathway)  # an entry without branches applies to everyone
            for leaves in found.values():
                comparisons = [(key, values) for by_key in leaves.values() for key, values in by_key.items()]
                if not comparisons:
                    self._always.add(pathway)
                    continue
                # Any one necessary comparison will do; the condition is the most selective.
                key, values = min(comparisons, key=lambda kv: (kv[0] != "condition", kv[0], sorted(kv[1])))
                for value in values:
                    self._by_fact.setdefault(key, {}).setdefault(value, set()).add(pathway)
                self._on_fact.setdefault(key, set()).add(pathway)

    def __len__(self) -> int:
        return len(self._order)

    def iris(self) -> list[str]:
        """Every pathway's IRI, in the engine's order (none of them built)."""
        return sorted(self._order, key=self._order.__getitem__)

    def candidate_iris(self, facts: Mapping) -> list[str]:
        """The pathways whose entry is not false for these facts, in the engine's order."""
        chosen = set(self._always)
        for key, pathways in self._on_fact.items():
            value = facts.get(key)
            if not isinstance(value, str):  # unknown (or not a string): no pathway ruled out on it
                chosen |= pathways
            else:
                chosen |= self._by_fact[key].get(value, set())
        return sorted(chosen, key=self._order.__getitem__)

    def candidates(self, facts: Mapping) -> list[Pathway]:
        """The decision graphs of the pathways that can apply to these facts (built on first use)."""
        return [p for p in self.pathways(self.candidate_iris(facts)) if p is not None]

    def pathways(self, iris: Iterable[str]) -> list[Pathway | None]:
        """Decision graphs by pathway IRI, built in batches on first use (None: a pathway the
        engine leaves out, such as one with a cycle, which validate reports)."""
        iris = list(iris)
        missing = [iri for iri in iris if iri not in self._built]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            found = {iri: pathway_from_data(data) for iri, data in self._saved(batch).items()} if self._saved else {}
            rest = [iri for iri in batch if iri not in found]
            built = load_pathways(self.layer(rest)) if rest else {}
            self._built.update({iri: found.get(iri) or built.get(iri) for iri in batch})
        return [self._built[iri] for iri in iris]

    def all(self) -> dict[str, Pathway]:
        """Every pathway, in the engine's order (exports and checks that need them all)."""
        iris = self.iris()
        return {iri: p for iri, p in zip(iris, self.pathways(iris)) if p is not None}

    def layer(self, iris: list[str]) -> Layer:
        """The decision layer of these pathways, read into a local :class:`Layer`."""
        layer = Layer()
        _construct(self.graph, _pathways_query(iris), layer.add)
        return layer


class Layer:
    """A read-only local copy of some triples, with the part of rdflib's ``Graph`` reading API
    that :func:`graph.pathway.load_pathways` uses (``value``, ``objects``, ``subjects``,
    ``subject_objects``, ``items``).

    Building a large library's decision graphs is mostly copying triples and looking them up:
    rdflib's memory store keeps three indexes and contexts for that, this keeps one dictionary
    (subject, predicate, objects in arrival order, each once).

    >>> from rdflib import URIRef
    >>> layer = Layer()
    >>> for o in ("a", "b", "a"):
    ...     layer.add(URIRef("s"), URIRef("p"), URIRef(o))
    >>> list(layer.objects(URIRef("s"), URIRef("p"))), layer.value(URIRef("s"), URIRef("p"))
    ([rdflib.term.URIRef('a'), rdflib.term.URIRef('b')], rdflib.term.URIRef('a'))
    """

    def __init__(self) -> None:
        self._out: dict = {}  # subject -> predicate -> {object: None}

    def add(self, s, p, o) -> None:
        self._out.setdefault(s, {}).setdefault(p, {})[o] = None

    def objects(self, subject, predicate) -> Iterator:
        return iter(self._out.get(subject, {}).get(predicate, ()))

    def value(self, subject, predicate):
        return next(self.objects(subject, predicate), None)

    def subjects(self, predicate, obj) -> Iterator:
        return (s for s, out in self._out.items() if obj in out.get(predicate, ()))

    def subject_objects(self, predicate) -> Iterator:
        return ((s, o) for s, out in self._out.items() for o in out.get(predicate, ()))

    def items(self, listed) -> Iterator:
        """The members of an RDF list; ValueError when its rdf:rest chain loops (as rdflib's)."""
        seen = {listed}
        while listed is not None and listed != RDF.nil:
            member = self.value(listed, RDF.first)
            if member is not None:
                yield member
            listed = self.value(listed, RDF.rest)
            if listed in seen:
                raise ValueError("an RDF list whose rdf:rest chain loops")
            seen.add(listed)


def facts_graph(graph: Graph) -> Graph:
    """The declared patient facts (with their ordered value lists) as a local graph."""
    if is_oxigraph(graph) or is_remote(graph):
        return _local(graph, _FACTS_QUERY)
    # rdflib's engine evaluates rdf:rest* recursively: a list of thousands of values (a large
    # library's conditions) passes Python's recursion limit. Its store is local: walk it instead.
    from rdflib.plugins.stores.memory import SimpleMemory
    from rdflib.term import BNode

    from .vocab import GG

    local = Graph(store=SimpleMemory())
    todo, seen = list(graph.subjects(RDF.type, GG.PatientFact)), set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in graph.triples((node, None, None)):
            local.store.add(triple, local)
            if isinstance(triple[2], BNode):
                todo.append(triple[2])
    return local


def _local(graph: Graph, query: str) -> Graph:
    """A CONSTRUCT's triples in a local rdflib graph (its SimpleMemory store: about five times
    faster to fill and read than the default one, and nothing here needs contexts)."""
    from rdflib.plugins.stores.memory import SimpleMemory

    local = Graph(store=SimpleMemory())
    _construct(graph, query, lambda s, p, o: local.store.add((s, p, o), local))
    return local


def _construct(graph: Graph, query: str, add) -> None:
    """Pass each triple of a CONSTRUCT to ``add(s, p, o)``. On Oxigraph the query goes to
    pyoxigraph directly: oxrdflib's conversion of the result costs ten times the query."""
    if is_oxigraph(graph):
        from .sparql import TermConverter

        convert = TermConverter()  # predicates, types and facts repeat in every pathway
        for triple in pyoxigraph_store(graph).query(query, default_graph=ox_graph_name(graph)):
            add(convert(triple.subject), convert(triple.predicate), convert(triple.object))
    else:
        for s, p, o in graph.query(query):
            add(s, p, o)


def pathway_values(iris: Iterable[str]) -> str:
    """A ``VALUES ?pathway { ... }`` block for these pathway IRIs, each checked first.

    >>> pathway_values(["https://w3id.org/guidegraph/kb/x/pathway"])
    'VALUES ?pathway { <https://w3id.org/guidegraph/kb/x/pathway> }'
    """
    return "VALUES ?pathway { " + " ".join(f"<{checked_iri(iri)}>" for iri in iris) + " }"


def checked_iri(iri: str) -> str:
    """``iri``, to be written as ``<iri>`` in a query; ValueError when it could break out of the brackets."""
    # IRIs come from the graph itself; one that could break out of <...> is refused, never spliced.
    if any(c in iri for c in '<>"{}|^`\\ \n'):
        raise ValueError(f"not an IRI that can be written in a query: {iri!r}")
    return iri


def catalogue_of(kb) -> Catalogue:
    """The knowledge base's catalogue, read once per load (an opened store's from its manifest)."""
    from .build import read_decision_graphs

    if "catalogue" not in kb._cache:
        index = getattr(kb.build, "entry_index", None)
        saved = partial(read_decision_graphs, kb.graph) if kb.build is not None else None
        kb._cache["catalogue"] = Catalogue(kb.graph, index=index, saved=saved)
    return kb._cache["catalogue"]
