"""Store back-ends behind one rdflib ``Graph`` interface.

``memory`` (the default) is Oxigraph in memory through oxrdflib: rdflib's own SPARQL engine is
40 to 70 times slower on the same queries. ``rdflib`` is rdflib's memory store, kept as the
benchmark baseline.
"""

from __future__ import annotations

from rdflib import Graph

from .errors import InputError
from .vocab import bind_prefixes

STORE_KINDS = ("memory", "rdflib")


def open_store(spec: str = "memory") -> Graph:
    """An empty graph on the store that ``spec`` names."""
    if spec == "memory":
        graph = Graph(store="Oxigraph")
    elif spec == "rdflib":
        graph = Graph()
    else:
        raise InputError(f"unknown store {spec!r}; use one of: {', '.join(STORE_KINDS)}")
    bind_prefixes(graph)
    return graph


def is_oxigraph(graph: Graph) -> bool:
    return type(graph.store).__name__ == "OxigraphStore"


def is_remote(graph: Graph) -> bool:
    """Whether queries on this graph go over the network to a SPARQL server: none of these stores do."""
    return False
