"""Every export as a file to download: name, media type, and the function that makes it.

The app's Export page lists these; the files are made only when asked for (``make()``), because
the whole graph in Turtle takes most of a second and a PNG a few seconds. Formats that need
Graphviz's ``dot`` program say so instead of failing when it is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from ..errors import InputError

#: Decision-tree formats: (format, label, extension, media type).
TREE_FILES = (
    ("dot", "DOT (Graphviz source)", "dot", "text/vnd.graphviz"),
    ("mermaid", "Mermaid", "mmd", "text/plain"),
    ("html", "Interactive HTML", "html", "text/html"),
    ("svg", "SVG drawing", "svg", "image/svg+xml"),
    ("png", "PNG image", "png", "image/png"),
)
#: Whole-graph formats: (format, label, extension, media type).
GRAPH_FILES = (
    ("ttl", "Turtle", "ttl", "text/turtle"),
    ("jsonld", "JSON-LD", "jsonld", "application/ld+json"),
    ("nt", "N-Triples", "nt", "application/n-triples"),
    ("trig", "TriG (one named graph per guideline)", "trig", "application/trig"),
)
DRAWN_FORMATS = frozenset({"svg", "png"})


@dataclass(frozen=True)
class ExportFile:
    """One file the Export page offers; ``unavailable`` says why it cannot be made here."""

    label: str
    file_name: str
    mime: str
    make: Callable[[], str | bytes]
    unavailable: str | None = None


def graphviz_missing() -> str | None:
    """Why SVG and PNG cannot be drawn here (``dot`` missing, with how to install it), or None."""
    from .dot import dot_program

    try:
        dot_program()
    except InputError as error:
        return str(error)
    return None


def tree_files(kb, *, pathway: str | None = None, facts: dict | None = None) -> list[ExportFile]:
    """The decision tree (one pathway or all, the patient's path highlighted when facts are given)
    in every diagram format.

    Examples
    --------
    >>> from graph import KnowledgeBase
    >>> files = tree_files(KnowledgeBase.load(validate=False))
    >>> [f.file_name for f in files][:3]
    ['pathways.dot', 'pathways.mmd', 'pathways.html']
    >>> files[0].make().startswith('digraph')
    True
    """
    from .tree import export_tree

    stem = pathway if pathway and "/" not in pathway else "pathways"  # ids are slugs; an IRI names no file
    if facts:
        stem += "-patient"
    missing = graphviz_missing()
    return [
        ExportFile(
            label=label,
            file_name=f"{stem}.{ext}",
            mime=mime,
            make=partial(export_tree, kb, fmt=fmt, pathway=pathway, facts=facts or None),
            unavailable=missing if fmt in DRAWN_FORMATS else None,
        )
        for fmt, label, ext, mime in TREE_FILES
    ]


def graph_files(kb, *, pathway: str | None = None) -> list[ExportFile]:
    """The whole knowledge graph in each RDF format, and the pathways as a FHIR R4 Bundle."""
    from .fhir import bundle_json, fhir_bundle
    from .rdf import serialize_library

    files = [
        ExportFile(label, f"guidegraph.{ext}", mime, partial(serialize_library, kb, fmt))
        for fmt, label, ext, mime in GRAPH_FILES
    ]
    files.append(
        ExportFile("FHIR R4 Bundle (PlanDefinition, ActivityDefinition)", "guidegraph-fhir.json", "application/fhir+json",
                   lambda: bundle_json(fhir_bundle(kb, pathway=pathway)))
    )
    return files


__all__ = ["ExportFile", "tree_files", "graph_files", "graphviz_missing", "TREE_FILES", "GRAPH_FILES"]
