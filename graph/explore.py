"""Neighbourhoods of the knowledge graph, for the graph explorer.

A neighbourhood is the set of nodes within ``depth`` links of a chosen node, in either direction,
over links between instances (literals and vocabulary terms are properties of a node, not nodes).
Views are capped: physics on more than a few hundred nodes takes minutes in the browser.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .store import select_rows
from .vocab import GG, KB

MAX_VIEW_NODES = 500
MAX_DEPTH = 4
LABEL_CHARS = 60

# Node types by rdf:type, most specific first: (type name, colour, vis-network shape).
NODE_STYLES: tuple[tuple[str, URIRef, str, str], ...] = (
    ("pitfall", GG.Pitfall, "#d62728", "triangle"),
    ("recommendation", GG.Recommendation, "#2ca02c", "dot"),
    ("monitoring", GG.Monitoring, "#17becf", "dot"),
    ("assessment", GG.Assessment, "#9467bd", "dot"),
    ("rationale", GG.Rationale, "#8c564b", "dot"),
    ("evidence", GG.Evidence, "#bcbd22", "dot"),
    ("timeline", GG.Timeline, "#e377c2", "dot"),
    ("statement", GG.Statement, "#7f7f7f", "dot"),
    ("guideline", GG.Guideline, "#1f77b4", "star"),
    ("section", GG.Section, "#aec7e8", "box"),
    ("citation", GG.Citation, "#c7c7c7", "square"),
    ("drug", GG.Drug, "#ff7f0e", "diamond"),
    ("drug class", GG.DrugClass, "#ffbb78", "diamond"),
    ("condition", GG.Condition, "#98df8a", "ellipse"),
    ("analyte", GG.Analyte, "#c5b0d5", "ellipse"),
    ("dose", GG.Dose, "#ff9896", "hexagon"),
    ("target", GG.TargetRange, "#f7b6d2", "hexagon"),
    ("duration", GG.Duration, "#dbdb8d", "hexagon"),
    ("pathway", GG.Pathway, "#393b79", "star"),
    ("decision node", GG.DecisionNode, "#5254a3", "box"),
    ("branch", GG.Branch, "#9c9ede", "text"),
    ("criterion", GG.Criterion, "#cedb9c", "text"),
    ("patient fact", GG.PatientFact, "#e7cb94", "ellipse"),
    ("conflict", GG.Conflict, "#843c39", "triangleDown"),
)
OTHER_STYLE = ("other", "#bbbbbb", "dot")
# Links that only repeat what colour already shows, or that would join everything to everything.
SKIPPED_PREDICATES = {RDF.type, GG.guideline}
# Where a node's label comes from, first found first. Doses, targets and durations have no name:
# the words they were read from serve as one.
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title, GG.text, GG.key, GG.quote)
# The types a user may start exploring from.
START_TYPES = (GG.Drug, GG.DrugClass, GG.Statement, GG.Condition, GG.Citation, GG.Guideline, GG.Pathway, GG.Analyte)


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    type: str
    colour: str
    shape: str
    title: str


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Neighbourhood:
    """A capped view around ``center``: ``capped`` says that ``total`` nodes were in reach."""

    center: str
    depth: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    capped: bool
    total: int


def node_type(graph: Graph, node) -> tuple[str, str, str]:
    """Type name, colour and shape of a node, by its most specific rdf:type."""
    return style_of(set(graph.objects(node, RDF.type)))


def style_of(types: set) -> tuple[str, str, str]:
    """Type name, colour and shape for a node of these rdf:types: the first of NODE_STYLES it has."""
    for name, rdf_type, colour, shape in NODE_STYLES:
        if rdf_type in types:
            return name, colour, shape
    return OTHER_STYLE


def node_label(graph: Graph, node) -> str:
    """A short human label: the name, title or text of a node, else the end of its IRI."""
    return label_of(node, {predicate: list(graph.objects(node, predicate)) for predicate in LABEL_PREDICATES})


def label_of(node, values: dict) -> str:
    """The label of ``node`` from its ``values`` of LABEL_PREDICATES (predicate to literals): the
    first predicate it has, the lexically first of its values when there are several."""
    for predicate in LABEL_PREDICATES:
        if values.get(predicate):
            text = " ".join(min(str(value) for value in values[predicate]).split())
            return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
    return str(node).removeprefix(str(KB))


def _is_instance(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(KB))


def _links(graph: Graph, node):
    for predicate, obj in graph.predicate_objects(node):
        if predicate not in SKIPPED_PREDICATES and _is_instance(obj):
            yield node, predicate, obj
    for subject, predicate in graph.subject_predicates(node):
        if predicate not in SKIPPED_PREDICATES and _is_instance(subject):
            yield subject, predicate, node


def _title(graph: Graph, node, type_name: str) -> str:
    """Tooltip text: type, IRI and the node's literal properties (plain text; escaped when drawn)."""
    lines = [f"{type_name}: {node}"]
    for predicate, obj in sorted(graph.predicate_objects(node), key=lambda po: str(po[0])):
        if isinstance(obj, Literal):
            name = str(predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            lines.append(f"{name}: {obj}")
    return "\n".join(lines[:12])


def neighbourhood(graph: Graph, center: str, *, depth: int = 1, max_nodes: int = MAX_VIEW_NODES) -> Neighbourhood:
    """Nodes within ``depth`` links of ``center``, breadth first, capped at ``max_nodes``.

    Parameters
    ----------
    graph : the knowledge graph.
    center : IRI of the node to start from.
    depth : how many links away to go (1 to MAX_DEPTH).
    max_nodes : the cap; nearer nodes are kept first, and ``capped`` reports the cut.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> kb = KnowledgeBase.load(validate=False)
    >>> view = neighbourhood(kb.graph, "https://w3id.org/guidegraph/kb/drug/rituximab", depth=1)
    >>> sorted({n.type for n in view.nodes})
    ['drug', 'drug class', 'recommendation']
    """
    depth = max(0, min(depth, MAX_DEPTH))
    start = URIRef(center)
    seen = {start: 0}
    queue = deque([start])
    edges: set[tuple] = set()
    while queue:
        node = queue.popleft()
        if seen[node] >= depth:
            continue
        for subject, predicate, obj in _links(graph, node):
            edges.add((subject, predicate, obj))
            for neighbour in (subject, obj):
                if neighbour not in seen:
                    seen[neighbour] = seen[node] + 1
                    queue.append(neighbour)
    ordered = sorted(seen, key=lambda n: (seen[n], str(n)))
    kept = set(ordered[:max_nodes])
    nodes = []
    for iri in ordered[:max_nodes]:
        type_name, colour, shape = node_type(graph, iri)
        nodes.append(Node(str(iri), node_label(graph, iri), type_name, colour, shape, _title(graph, iri, type_name)))
    kept_edges = sorted(
        Edge(str(s), str(o), str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        for s, p, o in edges
        if s in kept and o in kept
    )
    return Neighbourhood(center, depth, tuple(nodes), tuple(kept_edges), len(seen) > max_nodes, len(seen))


def legend(view: Neighbourhood) -> list[tuple[str, str, str]]:
    """The (type, colour, shape) of every type present in a view, in the order of NODE_STYLES."""
    present = {n.type for n in view.nodes}
    rows = [(name, colour, shape) for name, _, colour, shape in NODE_STYLES if name in present]
    return rows + ([OTHER_STYLE] if "other" in present else [])


def start_nodes(kb) -> list[tuple[str, str, str]]:
    """The :func:`searchable_nodes` of a knowledge base: as a persistent store's build saved them
    (the graph cannot change until the next build), else listed from the graph."""
    if kb.build is not None:
        from .build import read_start_nodes

        saved = read_start_nodes(kb.graph)
        if saved is not None:
            return saved
    return searchable_nodes(kb.graph)


def searchable_nodes(graph: Graph) -> list[tuple[str, str, str]]:
    """(type, label, IRI) of every node a user may start from: drugs, statements, conditions,
    citations, guidelines, pathways, sorted by type then label."""
    # Two queries for all of them: node by node, a library of 1,000 guidelines (50,000 start
    # nodes) took 4 s in memory, and a SPARQL server a round trip per lookup.
    starts = " ".join(f"<{rdf_type}>" for rdf_type in START_TYPES)
    types: dict = defaultdict(set)
    for node, rdf_type in select_rows(graph,
            f"SELECT DISTINCT ?node ?type WHERE {{ VALUES ?start {{ {starts} }} ?node a ?start , ?type }}"):
        types[node].add(rdf_type)
    predicates = " ".join(f"<{predicate}>" for predicate in LABEL_PREDICATES)
    values: dict = defaultdict(lambda: defaultdict(list))
    for node, predicate, value in select_rows(graph,
            f"SELECT DISTINCT ?node ?predicate ?value WHERE {{ VALUES ?start {{ {starts} }} "
            f"VALUES ?predicate {{ {predicates} }} ?node a ?start ; ?predicate ?value }}"):
        values[node][predicate].append(value)
    return sorted((style_of(node_types)[0], label_of(node, values.get(node, {})), str(node))
                  for node, node_types in types.items())
